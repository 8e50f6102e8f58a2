package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// place moves the customer display to its configured corner of the virtual
// desktop (the second monitor) and makes it fullscreen if asked. Fyne has
// no window-position API, so this goes through the native window handle;
// the handle exists only once the driver has created the window, hence
// the retries.
func (d *customerDisplay) place(cfg Display) {
	if cfg.X < 0 || cfg.Y < 0 {
		if cfg.Fullscreen {
			d.win.SetFullScreen(true)
		}
		return
	}
	nw, ok := d.win.(driver.NativeWindow)
	if !ok {
		return
	}
	go func() {
		for try := 0; try < 20; try++ {
			time.Sleep(100 * time.Millisecond)
			moved := false
			fyne.DoAndWait(func() {
				nw.RunNative(func(ctx any) { moved = moveWindow(ctx, cfg.X, cfg.Y) })
				if moved && cfg.Fullscreen {
					d.win.SetFullScreen(true)
				}
			})
			if moved {
				return
			}
		}
		fyne.LogError("placing the customer display", errNotPlaced)
	}()
}

type placeError string

func (e placeError) Error() string { return string(e) }

const errNotPlaced = placeError("no native window handle; the display stays where the system put it")
