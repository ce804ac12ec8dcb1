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
// Twilio retries a webhook it got no answer to: the reply is stored by
// MessageSid and a retry gets the same reply, the command processed once.
//
// Load: a bounded admission (MaxInFlight running, MaxQueue waiting up to
// QueueWait) answers 503 with Retry-After past capacity instead of slowing
// everyone; bodies are capped at MaxBody; a token bucket per number
// (RateBurst, RateRefill, at most RateNumbers remembered) tells a number
// that texts too often once to wait, then goes silent, with an empty
// <Response/>, for the rest of the window, so a carrier auto-reply cannot
// loop with us.
//
// # Outbound
//
// Notices ("result is in", "paper code expires in 3 days") are found by
// Server.ScanOnce and queued in the store's outbox under a key, so each is
// queued once. A Sender claims due messages under a lease (several senders
// never share one), sends them with twilio-go, and records Twilio's SID at
// once. 429 and 5xx are retried with exponential backoff and jitter; error
// 21610 (the recipient opted out at the carrier) records the opt-out and
// stops; other 4xx fail for good. Opted-out numbers are never claimed.
//
// The one window no code can close: Twilio has accepted a message and the
// sender dies (or the answer is lost) before the SID is committed. Such a
// message comes back after its lease marked InDoubt, and the sender first
// lists Twilio's messages to that number: if one with the same body was
// created since the message was queued, it is recorded as accepted and not
// sent again. Only a message whose twin (same number, same body) was sent
// separately in that time could be mistaken for it.
package sms
