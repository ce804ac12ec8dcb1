package sms

import (
	"log/slog"

	"github.com/lifeline-health/lifeline/store"
)

// TwilioAccount is a Twilio account as `lifeline serve` is given it.
type TwilioAccount struct {
	AccountSid, AuthToken string
	// APIURL, when set, receives every REST request instead of Twilio's
	// hosts (a stand-in, for tests and benchmarks).
	APIURL string
	// From or MessagingServiceSid sends; StatusCallback is the public URL
	// of POST /sms/status.
	From, MessagingServiceSid, StatusCallback string
	// Rate is the account's sending rate (--send-rate).
	Rate float64
}

// CanSend reports whether the account can send: its SID, its token and a
// sending number or Messaging Service.
func (a TwilioAccount) CanSend() bool {
	return a.AccountSid != "" && a.AuthToken != "" && (a.From != "" || a.MessagingServiceSid != "")
}

// NewTwilioGateway builds the gateway of `lifeline serve`: cfg, with a
// sender for the account when it can send (else answers and notices in
// the outbox wait for a replica that can), and a spool in spoolDir
// (store.SpoolDir of the store when "") of at most spoolMax bytes.
func NewTwilioGateway(cfg Config, a TwilioAccount, dsn, spoolDir string, spoolMax int64) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if a.CanSend() {
		rest, err := NewTwilioClient(a.AccountSid, a.AuthToken, a.APIURL)
		if err != nil {
			return nil, err
		}
		tw := &Twilio{REST: rest, AccountSid: a.AccountSid, From: a.From, MessagingServiceSid: a.MessagingServiceSid, StatusCallback: a.StatusCallback}
		if cfg.Sender, err = NewSender(SenderConfig{Store: cfg.Store, Messenger: tw, Rate: a.Rate, Log: cfg.Log}); err != nil {
			return nil, err
		}
	} else {
		cfg.Log.Warn("sms: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and a sending number (--from) are not all set: this replica answers inline only; answers and notices in the outbox wait for a replica that can send")
	}
	if spoolDir == "" {
		spoolDir = store.SpoolDir(dsn)
	}
	sp, err := OpenSpool(spoolDir, spoolMax)
	if err != nil {
		return nil, err
	}
	if n, _ := sp.Stats(); n > 0 {
		cfg.Log.Warn("sms: messages wait in the spool; they are written to the store and answered once it takes them", "dir", spoolDir, "count", n)
	}
	cfg.Spool = sp
	return NewServer(cfg)
}
