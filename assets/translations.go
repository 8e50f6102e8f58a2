// Package assets holds the files kasse embeds in its binary.
package assets

import "embed"

// Translations are the UI texts in nb, da, fi and en, in go-i18n JSON
// ("kasse.<lang>.json") as read by fyne.io/fyne/v2/lang. They include
// Fyne's own dialog keys (Cancel, OK, Yes, No, Confirm) so that Fyne's
// built-in dialogs speak the shop's language too.
//
//go:embed translations/*.json
var Translations embed.FS
