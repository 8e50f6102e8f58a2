//go:build windows

package ui

import (
	"syscall"

	"fyne.io/fyne/v2/driver"
)

var setWindowPos = syscall.NewLazyDLL("user32.dll").NewProc("SetWindowPos")

const (
	swpNoSize   = 0x0001
	swpNoZOrder = 0x0004
)

// moveWindow moves a Win32 window without resizing it.
func moveWindow(ctx any, x, y int) bool {
	c, ok := ctx.(driver.WindowsWindowContext)
	if !ok || c.HWND == 0 {
		return false
	}
	r, _, _ := setWindowPos.Call(c.HWND, 0, uintptr(x), uintptr(y), 0, 0, swpNoSize|swpNoZOrder)
	return r != 0
}
