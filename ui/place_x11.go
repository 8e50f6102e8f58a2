//go:build linux && !android

package ui

/*
#cgo LDFLAGS: -lX11
#include <X11/Xlib.h>

static int kasse_move_window(unsigned long w, int x, int y) {
	Display *d = XOpenDisplay(NULL);
	if (d == NULL) return 0;
	XMoveWindow(d, (Window)w, x, y);
	XFlush(d);
	XCloseDisplay(d);
	return 1;
}
*/
import "C"

import "fyne.io/fyne/v2/driver"

// moveWindow moves an X11 window; window IDs are global to the X server,
// so a connection of our own can move GLFW's window.
func moveWindow(ctx any, x, y int) bool {
	c, ok := ctx.(driver.X11WindowContext)
	if !ok || c.WindowHandle == 0 {
		return false
	}
	return C.kasse_move_window(C.ulong(c.WindowHandle), C.int(x), C.int(y)) == 1
}
