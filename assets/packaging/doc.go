// Package packaging holds what turns kasse into installable packages: the
// Debian control files, copyright and man page, desktop entries and the
// kiosk user service, the Windows resources and NSIS installer script, and
// the scripts `make package-linux` and `make package-windows` run. Its tests
// (`make package-check`; CI runs them on the Linux packages) inspect the
// artifacts in dist/ and skip when they have not been built.
package packaging
