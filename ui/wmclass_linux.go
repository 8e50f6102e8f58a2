//go:build linux && !android

package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"github.com/go-gl/glfw/v3.4/glfw"
)

// WindowClass is the X11 WM_CLASS of every till window (instance and
// class), the StartupWMClass of the desktop entry: the dock groups the
// windows under the till's icon. GLFW would otherwise use each window's
// title, and Wayland gets the app id from Fyne.
const WindowClass = "no.kasse.till"

// setWindowClass sets the class for the windows a shows from now on. It
// must run on the main thread after a's first window was made (that
// initialises GLFW); with another driver (the tests') it does nothing.
func setWindowClass(a fyne.App) {
	if fmt.Sprintf("%T", a.Driver()) != "*glfw.gLDriver" {
		return
	}
	glfw.WindowHintString(glfw.X11ClassName, WindowClass)
	glfw.WindowHintString(glfw.X11InstanceName, WindowClass)
}
