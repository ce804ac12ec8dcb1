package seed

// Surnames in rough order of frequency (王, 李, 张 and 刘 alone cover over
// a fifth of the population); pick skews toward the front.
var surnames = []string{
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗",
	"郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡",
	"余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
	"石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
	"龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "向", "汤",
}

// compoundSurnames are rare two-character surnames.
var compoundSurnames = []string{"欧阳", "司马", "诸葛", "上官", "司徒", "东方", "皇甫", "令狐"}

// Given-name characters by generation: people born in the 1940s-60s were
// named 建国, 秀英; their grandchildren 子涵, 梓萱.
var (
	givenMaleOld     = []rune("建国华明军德福生平海林忠文志强永庆荣祥春山富贵成宝发卫东红兵")
	givenFemaleOld   = []rune("秀英兰桂芳珍玉凤琴梅淑华云霞凤翠莲花荣素芬敏丽红")
	givenMaleMiddle  = []rune("伟强磊军勇杰涛明超刚辉鹏华飞斌波宇浩凯健俊峰亮剑锋刚斌")
	givenFemaleMid   = []rune("芳娜敏静丽艳娟霞燕玲婷雪慧晶颖倩萍洁琳丹蕾红")
	givenMaleYoung   = []rune("子轩浩宇梓涵一诺睿泽宇航铭博文昊然俊熙皓辰思源天佑嘉懿")
	givenFemaleYoung = []rune("梓萱子涵欣怡一诺语桐可馨诗琪雨欣佳怡思彤若曦梦瑶紫萱依")
)

// Foreign residents' names, by nationality.
var foreigners = []struct {
	nat   string
	first []string
	last  []string
}{
	{"USA", []string{"John", "Mary", "David", "Emily", "Michael", "Sarah"}, []string{"Smith", "Johnson", "Brown", "Miller", "Davis"}},
	{"GBR", []string{"James", "Olivia", "Thomas", "Emma", "Harry"}, []string{"Taylor", "Wilson", "Evans", "Clarke", "Walker"}},
	{"KOR", []string{"Minsu", "Jiyeon", "Seojun", "Hayoon", "Dohyun"}, []string{"Kim", "Lee", "Park", "Choi", "Jung"}},
	{"JPN", []string{"Haruto", "Yui", "Sota", "Hina", "Ren"}, []string{"Sato", "Suzuki", "Takahashi", "Tanaka", "Ito"}},
	{"DEU", []string{"Lukas", "Anna", "Felix", "Lea", "Jonas"}, []string{"Muller", "Schmidt", "Weber", "Wagner", "Becker"}},
	{"FRA", []string{"Louis", "Chloe", "Hugo", "Camille", "Jules"}, []string{"Martin", "Bernard", "Dubois", "Laurent", "Moreau"}},
	{"RUS", []string{"Ivan", "Anastasia", "Dmitry", "Elena", "Sergei"}, []string{"Ivanov", "Smirnov", "Popov", "Volkov", "Sokolov"}},
	{"SGP", []string{"Wei Ming", "Hui Min", "Jun Jie", "Xin Yi"}, []string{"Tan", "Lim", "Ng", "Goh", "Ong"}},
}

// regions are real six-digit administrative division codes (GB/T 2260)
// of city districts, the first six characters of a mainland ID.
var regions = []string{
	"110101", "110102", "110105", "110106", "110108", "110114", // Beijing
	"120101", "120103", "120104", // Tianjin
	"130102", "130104", "140105", "150102", // Shijiazhuang, Taiyuan, Hohhot
	"210102", "210202", "220102", "230102", "230103", // Shenyang, Dalian, Changchun, Harbin
	"310101", "310104", "310105", "310106", "310110", "310115", // Shanghai
	"320102", "320106", "320505", "330102", "330106", "330212", // Nanjing, Suzhou, Hangzhou, Ningbo
	"340102", "350102", "350203", "360102", "370102", "370202", // Hefei, Fuzhou, Xiamen, Nanchang, Jinan, Qingdao
	"410102", "410105", "420102", "420106", "430102", "430104", // Zhengzhou, Wuhan, Changsha
	"440103", "440104", "440106", "440303", "440304", "440305", // Guangzhou, Shenzhen
	"450102", "460105", "500103", "500106", "510104", "510107", // Nanning, Haikou, Chongqing, Chengdu
	"520102", "530102", "610102", "610103", "610113", "610116", // Guiyang, Kunming, Xi'an
	"620102", "630102", "640104", "650102", // Lanzhou, Xining, Yinchuan, Urumqi
}

// mobilePrefixes are real mainland mobile number segments.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
	"156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "199",
}

// landlineAreas are area codes (without the trunk 0) of cities whose
// numbers have 8 digits.
var landlineAreas = []string{"21", "20", "22", "23", "24", "25", "27", "28", "29"}

var communityNames = []string{
	"幸福里社区", "翠苑社区", "和平里社区", "光明社区", "朝阳社区", "新华社区", "东湖社区", "锦绣社区", "阳光社区", "长青社区",
	"紫荆社区", "金桥社区", "枫林社区", "丽园社区", "华侨新村社区", "南湖社区", "春晖社区", "振兴社区", "龙华社区", "桃源社区",
	"建设社区", "团结社区", "解放社区", "文化社区", "胜利社区", "永安社区", "梅园社区", "凤凰社区", "滨江社区", "雁塔社区",
}

var sites = []string{"社区卫生服务中心", "幸福里小学采样点", "中心广场采样点", "街道办采样点", "第一人民医院", "地铁站采样点", "便民采样亭"}

var (
	yellowReasons = []string{"超过72小时未做核酸", "时空伴随", "外地返回未报备", "次密接"}
	redReasons    = []string{"核酸检测阳性", "密切接触者", "隔离期内"}
)
