package hardware_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/kasse-pos/kasse/hardware"
)

// How the app wires the devices: every scanner publishes on one bus, the app
// reads the bus and hands scans to the checkout; the printer and drawer are
// do-nothing values when not configured.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := hardware.NewBus(64)

	wait, err := hardware.RunScanners(ctx, bus,
		hardware.SerialConfig{Port: "/dev/ttyACM0", Source: hardware.SourceCustomer, Suffix: "CR", Cooldown: hardware.DefaultCooldown()},
	)
	if err != nil {
		log.Fatal(err) // a configuration mistake, shown to whoever set the till up
	}
	defer wait()

	// The UI feeds key events into this from the window's OnTypedRune and
	// OnTypedKey (Return/Enter) when no text field has focus, and calls
	// Flush every few tens of milliseconds.
	wedge := hardware.NewWedge(hardware.WedgeConfig{Bus: bus, Cooldown: hardware.DefaultCooldown()})
	_ = wedge.Feed(hardware.Key{Rune: '7', At: time.Now()})

	printer, drawer := hardware.NewPrinter(hardware.PrinterConfig{}) // no printer configured
	_ = printer.Print(ctx, hardware.Receipt{})
	_ = drawer.OpenDrawer(ctx)

	go func() {
		for ev := range bus.Events() {
			switch ev := ev.(type) {
			case hardware.Scan:
				fmt.Println(ev) // app: till.Scan(ctx, flow.Scan{...}) or a notice with ev.Problem
			case hardware.DeviceStatus:
				fmt.Println(ev.Source, "scanner connected:", ev.Connected, ev.Err)
			case hardware.Discarded:
				fmt.Println(ev) // log only
			}
		}
	}()
}
