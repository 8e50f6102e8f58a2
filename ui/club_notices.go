package ui

// The notices of the club's bonus cheques (flow/points_checkout.go).
func init() {
	for _, k := range []string{"club.no_cheque", "club.cheque_taken"} {
		NoticeKeys[k] = nil
	}
}
