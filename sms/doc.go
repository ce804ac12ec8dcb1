// Package sms is the gateway to Twilio: people without smartphones text one
// word and get their status back in one short message, or call and hear it
// read aloud. It speaks Twilio's webhook protocol for inbound messages
// (POST /sms) and calls (POST /voice, voice.go), signed with
// X-Twilio-Signature, answers in TwiML, and delivers notifications from the
// store's durable outbox through twilio-go.
//
// # Inbound
//
// Commands (Parse): 查询/CX/1/STATUS, 帮助/BZ/HELP/?, 离线码/CODE,
// 退订/TD/T/STOP, 订阅/DY/START, in any case, full or half width, with any
// spaces and punctuation, in simplified or traditional characters; a longer
// message holding 查 or 码 and no other command word (查健康码, 我的码)
// asks for the status. The reply is in the language of the message:
// Chinese when it holds a Chinese character or a Chinese-style command (CX,
// TD, a digit), English when it is Latin letters, Chinese otherwise — and
// Chinese for Latin letters from a mainland number that are no English
// command (ParseFrom). What a status means and what to do, for the reply
// and the voice line alike, is in status.go.
//
// A status reply is one SMS segment (Segments counts GSM-7 septets and
// UCS-2 units). When a phone cares for more people than fit, the reply ends
// with "还有N人，回复2查看" ("N more: reply 2"), and the digits 2 to 9 ask for
// that page; pages are cut the same way every time, so "2" always continues
// where "查询" stopped. A status older than Config.StaleAfter carries its age
// ("截至4/7 20:30"): the answer still comes when the upstream platform is
// down.
//
// Privacy: only a phone bound to a resident (their own phone, or a relative
// link that is approved) gets a status or a paper code; any other number gets
// one fixed text, whatever it sends, so texting someone's ID number learns
// nothing. Names are masked (张*丰); replies and logs never hold an ID
// number or a full phone (logs use lifeline.MaskPhone).
//
// Every text is answered exactly once (intake.go, answer.go; docs/sms.md):
// a signed text is recorded in the inbound log in the one state that
// decides its answer, inline (composed within InlineBudget, in a free
// slot) or pending (answered by the answerer through the outbox, under
// its AnswerKey), before any response is written; a retried MessageSid
// gets its inline answer again or nothing, and nothing from another
// sender. When the store cannot record a text it goes to the local Spool
// and is drained into the store once it is back. Only a text that can be
// stored nowhere gets a 5xx.
//
// Load: the body is read (MaxBody, within BodyTimeout) and the signature
// checked before anything else; then a bounded admission (MaxInFlight
// composing, MaxQueue waiting up to QueueWait) decides who is answered
// inline, and the rest are accepted and answered through the outbox.
// Connections are capped in all (MaxConns) and per source address
// (MaxConnsPerSource). A token bucket per number (RateBurst, RateRefill,
// at most RateNumbers remembered), asked after the duplicate check, tells
// a number that texts too often once how long to wait (that notice is the
// message's answer, given inline), then leaves it unanswered for the rest
// of the window, so a carrier auto-reply cannot loop with us.
//
// The provider is behind Provider (provider.go): Twilio's signature,
// TwiML and REST calls are in twilio.go, and another provider is one file.
//
// # Outbound
//
// Answers, and notices ("result is in", "paper code expires in 3 days",
// found by Server.ScanOnce), are queued in the store's outbox under a key,
// so each is queued once. A Sender claims due messages under a lease
// (several senders never share one), answers before notices, at the
// account's Rate shared by every replica, sends them through the
// provider's Messenger, and records the provider's id at once. A
// refusal for the account's rate (429, 20429, 63018) pauses the sender
// without counting the attempt; 5xx is retried with exponential backoff
// and jitter; error 21610 (the recipient opted out at the carrier)
// records the opt-out and stops; other refusals fail for good. Numbers
// that opted out get no notices, but still the answers to what they ask.
//
// The one window no code can close: the provider has accepted a message
// and the sender dies (or the answer is lost) before the id is committed.
// Such a message comes back after its lease marked InDoubt, and the
// sender first lists the provider's messages to that number with the same
// body since the message was queued, and takes the first whose id no other
// outbox message holds. Answers to one number often read alike, so which
// of two such messages takes which id can be wrong; how many the number
// gets cannot.
package sms
