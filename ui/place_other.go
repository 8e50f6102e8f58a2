//go:build !windows && !(linux && !android)

package ui

// moveWindow cannot move windows here (macOS, BSD, mobile): the system
// decides where the customer display opens.
func moveWindow(any, int, int) bool { return false }
