package lifeline

// ShownNumbers returns a resident's document number and phones as staff
// see them: masked (MaskDocNumber, MaskPhone), unless revealed, which
// whoever reveals them must write to the audit log.
func (r *Resident) ShownNumbers(reveal bool) (doc string, phones []string) {
	if reveal {
		return r.Doc.Number, append([]string{}, r.Phones...)
	}
	phones = make([]string, len(r.Phones))
	for i, p := range r.Phones {
		phones[i] = MaskPhone(p)
	}
	return r.Doc.Masked(), phones
}
