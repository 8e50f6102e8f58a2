//go:build !linux || android

package ui

import "fyne.io/fyne/v2"

// WindowClass is the desktop's name for the till's windows (see the Linux file).
const WindowClass = "no.kasse.till"

func setWindowClass(fyne.App) {}
