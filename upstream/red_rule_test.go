package upstream_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/store"
)

// TestResultsAndImportRevokeAlike: a red pushed to the results API and a
// red in an imported file revoke paper codes by the one rule of the store
// (ResidentService.RecordResult and Import): each holder's codes revoked
// with the reason "red" (and the pushed result's id), one audit entry by
// whoever acted, and the holder's later green from either side revokes
// nothing more.
func TestResultsAndImportRevokeAlike(t *testing.T) {
	eachStore(t, func(t *testing.T, open func() *store.DB) {
		db := open()
		ctx := lifeline.WithActor(context.Background(), lifeline.Actor{User: "cli:import"})
		pushed := &lifeline.Resident{Name: "王秀英", Doc: lifeline.Document{Type: lifeline.DocMainlandID, Number: "11010519491231002X"}}
		imported := &lifeline.Resident{Name: "李建国", Doc: lifeline.Document{Type: lifeline.DocPassport, Number: "E12345678", Nationality: "USA"}}
		issued := time.Date(2022, 4, 1, 9, 0, 0, 0, time.UTC)
		for i, r := range []*lifeline.Resident{pushed, imported} {
			if err := db.CreateResident(ctx, r); err != nil {
				t.Fatal(err)
			}
			serial := []byte("0123456789abcde" + string(rune('a'+i)))
			if err := db.RecordIssued(ctx, []lifeline.IssuedCode{{Serial: serial, ResidentID: r.ID, KeyID: "00112233aabbccdd",
				IssuedBy: "staff:wang", IssuedAt: issued, ExpiresAt: issued.AddDate(0, 0, 30)}}); err != nil {
				t.Fatal(err)
			}
		}
		url := resultsServer(t, db, apiToken, nil)
		code, out := post(t, url, apiToken, `{"result_id":"lab-1","resident":{"id":`+itoa(pushed.ID)+`},"color":"red"}`)
		if code != http.StatusOK || out["revoked_codes"] != 1.0 {
			t.Fatalf("API: %d %v, want 1 code revoked", code, out)
		}
		st, err := db.Import(ctx, &lifeline.ImportBatch{Updates: []lifeline.StatusUpdate{{Doc: imported.Doc, Color: lifeline.Red}}})
		if err != nil || st.Revoked != 1 {
			t.Fatalf("import: %+v %v, want 1 code revoked", st, err)
		}
		for _, x := range []struct {
			r             *lifeline.Resident
			reason, actor string
		}{{pushed, "red:lab-1", "upstream"}, {imported, "red", "cli:import"}} {
			cs, err := db.IssuedCodes(ctx, x.r.ID)
			if err != nil || len(cs) != 1 || !cs[0].Revoked() || cs[0].RevokeReason != x.reason {
				t.Fatalf("%s's code: %+v %v, want revoked for %q", x.r.Name, cs, err, x.reason)
			}
			es, err := db.AuditLog(ctx, x.r.ID, 50)
			if err != nil {
				t.Fatal(err)
			}
			var revokes []lifeline.AuditEntry
			for _, e := range es {
				if e.Action == "revoke" {
					revokes = append(revokes, e)
				}
			}
			if len(revokes) != 1 || revokes[0].Actor != x.actor {
				t.Fatalf("%s's revoke audit entries: %+v, want one by %s", x.r.Name, revokes, x.actor)
			}
		}
		// Green from the other side for each: nothing more is revoked.
		if _, out := post(t, url, apiToken, `{"result_id":"lab-2","resident":{"id":`+itoa(imported.ID)+`},"color":"green"}`); out["revoked_codes"] != 0.0 {
			t.Fatalf("green by API: %v", out)
		}
		if st, err := db.Import(ctx, &lifeline.ImportBatch{Updates: []lifeline.StatusUpdate{{Doc: pushed.Doc, Color: lifeline.Green}}}); err != nil || st.Revoked != 0 {
			t.Fatalf("green by import: %+v %v", st, err)
		}
	})
}
