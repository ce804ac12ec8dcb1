package code

import (
	"bytes"
	"context"
	"fmt"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// Exported is a signed list ready to hand to checkpoints, and what it
// holds, for the person who made it.
type Exported struct {
	Data  []byte
	Info  ListInfo
	Keys  int // trust list: keys in it
	Since uint64
	// Revocation list: serials and key cut-offs in it; a delta: serials
	// added and removed.
	Serials, Cutoffs, Added, Removed int
}

// ListDurations are the issuer's choices for a list's times; zero means
// the default of the kind (ListTimes).
type ListDurations struct {
	NextUpdate time.Duration
	Limit      time.Duration
}

// ExportTrustList signs the trust list of a deployment's signing keys with
// the root: a new version each time. Keys whose codes have all expired
// (their window ended more than DefaultMaxValidity ago) are left out;
// keys not valid yet are in, so checkpoints know a new key before its
// first code.
func ExportTrustList(ctx context.Context, versions lifeline.ListService, root *RootKey, keys []*SigningKey, now time.Time, d ListDurations) (Exported, error) {
	var live []*SigningKey
	for _, k := range keys {
		if k.Public().Equal(root.Pin().Public) {
			return Exported{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("根密钥不能同时是签名密钥："+k.Path, "the root key is also a signing key: "+k.Path))
		}
		if now.Before(k.NotAfter.Add(DefaultMaxValidity)) {
			live = append(live, k)
		}
	}
	if len(live) == 0 {
		return Exported{}, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有可导出的签名密钥。运行 lifeline keys new 创建一个。", "no signing keys to export. Run lifeline keys new to create one."))
	}
	v, err := versions.NextTrustListVersion(ctx)
	if err != nil {
		return Exported{}, err
	}
	info := ListTimes(TrustListKind, uint64(v), now, d.NextUpdate, d.Limit)
	b, err := SignTrustList(root, TrustListOf(live), info)
	if err != nil {
		return Exported{}, err
	}
	info.Root = root.ID
	return Exported{Data: b, Info: info, Keys: len(live)}, nil
}

// ExportUnsignedTrustList writes the signing keys' public halves as a
// plain JWK Set, for verifiers other than lifeline's: unsigned, it is worth
// only as much as the channel it travels through.
func ExportUnsignedTrustList(keys []*SigningKey) (Exported, error) {
	var b bytes.Buffer
	err := TrustListOf(keys).WriteJWKS(&b)
	return Exported{Data: b.Bytes(), Keys: len(keys)}, err
}

// RevocationSource is where the revocation list comes from: a store.
type RevocationSource interface {
	lifeline.ListService
	// KeyCutoffs returns, per key id in hex, the time before which its
	// codes are revoked.
	KeyCutoffs(ctx context.Context) (map[string]time.Time, error)
}

// revocationsIn builds the list a published version holds.
func revocationsIn(ctx context.Context, src RevocationSource, v lifeline.RevocationVersion, cuts map[KeyID]time.Time) (*RevocationList, error) {
	var b RevocationBuilder
	if err := src.EachRevokedIn(ctx, v, func(s []byte) error { b.AddSerial(s); return nil }); err != nil {
		return nil, err
	}
	for id, t := range cuts {
		b.AddCutoff(id, t)
	}
	return b.Build(), nil
}

// ExportRevocations publishes the revocation list at now and signs it with
// the root: the full list, or with since > 0 the delta from that version
// to the one published (empty, with fresh times, when nothing changed).
// Key cut-offs are the current ones: a cut-off only ever moves later, so a
// newer one is never less revoked.
func ExportRevocations(ctx context.Context, src RevocationSource, root *RootKey, now time.Time, since int64, d ListDurations) (Exported, error) {
	v, err := src.PublishRevocations(ctx, now)
	if err != nil {
		return Exported{}, err
	}
	raw, err := src.KeyCutoffs(ctx)
	if err != nil {
		return Exported{}, err
	}
	cuts := map[KeyID]time.Time{}
	for kid, t := range raw {
		id, err := ParseKeyID(kid)
		if err != nil {
			return Exported{}, err
		}
		cuts[id] = t
	}
	to, err := revocationsIn(ctx, src, v, cuts)
	if err != nil {
		return Exported{}, err
	}
	if since <= 0 {
		info := ListTimes(RevocationListKind, uint64(v.Version), now, d.NextUpdate, d.Limit)
		b, err := SignRevocationList(root, to, info)
		if err != nil {
			return Exported{}, err
		}
		info.Root = root.ID
		return Exported{Data: b, Info: info, Serials: to.Len(), Cutoffs: len(to.Cutoffs)}, nil
	}
	if since > v.Version {
		return Exported{}, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T(
			fmt.Sprintf("版本 %d 比已发布的最新版本 %d 还新：请导出完整的吊销列表", since, v.Version),
			fmt.Sprintf("version %d is newer than the latest published, %d: export a full revocation list", since, v.Version)))
	}
	base, err := src.RevocationVersion(ctx, since)
	if err != nil {
		return Exported{}, err
	}
	from, err := revocationsIn(ctx, src, base, nil)
	if err != nil {
		return Exported{}, err
	}
	delta := DeltaOf(uint64(since), from, to)
	info := ListTimes(RevocationDeltaKind, uint64(v.Version), now, d.NextUpdate, d.Limit)
	b, err := SignRevocationDelta(root, delta, info)
	if err != nil {
		return Exported{}, err
	}
	info.Root = root.ID
	return Exported{Data: b, Info: info, Since: uint64(since), Added: len(delta.Added), Removed: len(delta.Removed), Cutoffs: len(delta.Cutoffs)}, nil
}

// Describe says what was exported, for the person who exported it.
func (e Exported) Describe() lifeline.Text {
	i := e.Info
	var t lifeline.Text
	switch i.Kind {
	case "":
		return lifeline.T(fmt.Sprintf("已导出 %d 个公钥，未签名：只有经可信渠道送达才可信；lifeline 检查点只接受签名的信任列表", e.Keys),
			fmt.Sprintf("exported %d public keys, unsigned: trust it only as far as the channel it travels; lifeline checkpoints take only the signed trust list", e.Keys))
	case TrustListKind:
		t = lifeline.T(fmt.Sprintf("信任列表 版本 %d：%d 个公钥", i.Version, e.Keys), fmt.Sprintf("trust list version %d: %d public keys", i.Version, e.Keys))
	case RevocationDeltaKind:
		t = lifeline.T(fmt.Sprintf("吊销增量 版本 %d→%d：新增 %d、移除 %d，%d 个密钥截止时间", e.Since, i.Version, e.Added, e.Removed, e.Cutoffs),
			fmt.Sprintf("revocation delta from version %d to %d: %d added, %d removed, %d key cut-offs", e.Since, i.Version, e.Added, e.Removed, e.Cutoffs))
	default:
		t = lifeline.T(fmt.Sprintf("吊销列表 版本 %d：%d 个吊销序列号，%d 个密钥截止时间", i.Version, e.Serials, e.Cutoffs),
			fmt.Sprintf("revocation list version %d: %d revoked serials, %d key cut-offs", i.Version, e.Serials, e.Cutoffs))
	}
	return lifeline.T(
		fmt.Sprintf("已导出%s（%d 字节），由根密钥 %s 签名，%s 前应更新，%s 失效", t.Zh, len(e.Data), i.Root, chinaTime(i.NextUpdate), chinaTime(i.Expires)),
		fmt.Sprintf("exported %s (%d bytes), signed by root %s, next update by %s, expires %s", t.En, len(e.Data), i.Root, chinaTime(i.NextUpdate), chinaTime(i.Expires)))
}
