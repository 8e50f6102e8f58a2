package flow

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Role is what a cashier may do.
type Role string

const (
	RoleCashier Role = "cashier" // sell, look up prices, X report
	RoleManager Role = "manager" // also refunds, settings, parked settlement jobs, Z report, cashiers
)

// Permission names an action that not every cashier may take.
type Permission string

const (
	PermRefund   Permission = "refund"
	PermSettings Permission = "settings"
	PermParked   Permission = "parked" // retry or resolve parked settlement jobs
	PermZReport  Permission = "z-report"
	PermCashiers Permission = "cashiers" // add cashiers, reset PINs
)

// Cashier is a named user of the till.
type Cashier struct {
	ID        int64
	Name      string
	Role      Role
	PINHash   string // HashPIN's output; never the PIN
	Active    bool
	CreatedAt time.Time
}

// Can reports whether c may take the action.
// Every permission so far is a manager's; a cashier only sells.
func (c Cashier) Can(p Permission) bool {
	return c.Active && c.Role == RoleManager
}

// CashierStore keeps cashiers; app/store implements it. Cashiers are shared
// by every till of a chain.
type CashierStore interface {
	// Cashiers lists all cashiers, active or not, by name.
	Cashiers(ctx context.Context) ([]Cashier, error)
	// CashierByID returns one cashier; ErrNoRecord if unknown.
	CashierByID(ctx context.Context, id int64) (Cashier, error)
	// SaveCashier inserts c (ID 0, which it then sets) or updates it.
	SaveCashier(ctx context.Context, c *Cashier) error
}

// Login errors, for the PIN pad.
var (
	ErrWrongPIN      = errors.New("wrong PIN")
	ErrCashierLocked = errors.New("too many wrong PINs: wait a moment and try again")
	ErrNotLoggedIn   = errors.New("nobody is logged in")
	ErrNotAllowed    = errors.New("a manager must do this")
	ErrBadPIN        = errors.New("a PIN is 4 to 8 digits")
	ErrNoName        = errors.New("a cashier needs a name")
)

// pinIterations is PBKDF2-HMAC-SHA512's work factor (OWASP 2023: 210,000).
// A PIN has few digits, so the hash only slows down an offline attack on a
// stolen database; the lockout below is what protects the PIN pad.
const pinIterations = 210_000

// ValidPIN reports whether pin is 4–8 digits.
func ValidPIN(pin string) bool {
	if len(pin) < 4 || len(pin) > 8 {
		return false
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// HashPIN returns a salted hash of pin: "pbkdf2-sha512$iterations$salt$key".
func HashPIN(pin string) (string, error) { return HashPINWithCost(pin, pinIterations) }

// HashPINWithCost is HashPIN with another work factor. CheckPIN reads the
// factor from the hash, so tests that only need a cashier to exist can
// make one that logs in fast.
func HashPINWithCost(pin string, iterations int) (string, error) {
	if !ValidPIN(pin) {
		return "", ErrBadPIN
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha512.New, pin, salt, iterations, 32)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha512$%d$%s$%s", iterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPIN reports whether pin matches hash, in constant time.
func CheckPIN(hash, pin string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha512" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha512.New, pin, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// Lockout: after maxPINFailures wrong PINs in a row a cashier waits
// pinLockout, doubling with every further failure.
const (
	maxPINFailures = 5
	pinLockout     = 30 * time.Second
)

// PINLockout counts wrong PINs per cashier. app/store keeps the count in
// the database, so the lockout holds across processes, restarts and the
// command line, and on a chain's shared database across tills.
type PINLockout interface {
	// LockedUntil is when the cashier may try again (zero: now).
	LockedUntil(ctx context.Context, id int64) (time.Time, error)
	// PINFailed counts a wrong PIN and returns the wrong PINs in a row.
	PINFailed(ctx context.Context, id int64) (int, error)
	// LockPIN refuses the cashier's PIN until then.
	LockPIN(ctx context.Context, id int64, until time.Time) error
	// PINSucceeded ends the count.
	PINSucceeded(ctx context.Context, id int64) error
}

// CashierSession is who is logged in at one till. Logging in while someone
// else is logged in switches cashier (the other is logged out first).
type CashierSession struct {
	Store   CashierStore
	Journal *ElectronicJournal
	Now     func() time.Time
	// Lockout keeps the wrong-PIN count (default: in this process only).
	Lockout PINLockout

	mu      sync.Mutex
	current Cashier
}

// NewCashierSession returns a session with nobody logged in.
func NewCashierSession(s CashierStore, j *ElectronicJournal, now func() time.Time) *CashierSession {
	if now == nil {
		now = time.Now
	}
	return &CashierSession{Store: s, Journal: j, Now: now, Lockout: NewMemoryLockout()}
}

// NewMemoryLockout is a PINLockout that lives as long as the process.
func NewMemoryLockout() PINLockout {
	return &memoryLockout{failures: map[int64]int{}, until: map[int64]time.Time{}}
}

type memoryLockout struct {
	mu       sync.Mutex
	failures map[int64]int
	until    map[int64]time.Time
}

func (m *memoryLockout) LockedUntil(_ context.Context, id int64) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.until[id], nil
}

func (m *memoryLockout) PINFailed(_ context.Context, id int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures[id]++
	return m.failures[id], nil
}

func (m *memoryLockout) LockPIN(_ context.Context, id int64, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.until[id] = until
	return nil
}

func (m *memoryLockout) PINSucceeded(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.failures, id)
	delete(m.until, id)
	return nil
}

// Current returns the cashier logged in.
func (s *CashierSession) Current() (Cashier, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current, s.current.ID != 0
}

// Cashiers lists the active cashiers for the login screen.
func (s *CashierSession) Cashiers(ctx context.Context) ([]Cashier, error) {
	all, err := s.Store.Cashiers(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		if c.Active {
			c.PINHash = ""
			out = append(out, c)
		}
	}
	return out, nil
}

// checkPIN verifies id's PIN, counting failures for the lockout.
func (s *CashierSession) checkPIN(ctx context.Context, id int64, pin string) (Cashier, error) {
	var c Cashier
	err := GuardPIN(ctx, s.Lockout, id, s.Now(), func() (bool, error) {
		var err error
		if c, err = s.Store.CashierByID(ctx, id); err != nil {
			return false, err
		}
		return c.Active && CheckPIN(c.PINHash, pin), nil
	})
	if err != nil {
		return Cashier{}, err
	}
	c.PINHash = ""
	return c, nil
}

// GuardPIN is the one PIN lockout rule, for cashiers' PINs and the
// settings' manager PIN alike: while id is locked it refuses at once
// (ErrCashierLocked); otherwise check decides, and after maxPINFailures
// wrong PINs in a row id is locked for pinLockout, doubling with every
// further failure. A right PIN ends the count.
func GuardPIN(ctx context.Context, l PINLockout, id int64, now time.Time, check func() (bool, error)) error {
	until, err := l.LockedUntil(ctx, id)
	if err != nil {
		return err
	}
	if now.Before(until) {
		return ErrCashierLocked
	}
	ok, err := check()
	if err != nil {
		return err
	}
	if !ok {
		n, err := l.PINFailed(ctx, id)
		if err != nil {
			return err
		}
		if n >= maxPINFailures {
			if err := l.LockPIN(ctx, id, now.Add(pinLockout<<min(n-maxPINFailures, 10))); err != nil {
				return err
			}
		}
		return ErrWrongPIN
	}
	return l.PINSucceeded(ctx, id)
}

// Login logs cashier id in with pin, logging out whoever was logged in.
// Both are journaled.
func (s *CashierSession) Login(ctx context.Context, id int64, pin string) (Cashier, error) {
	c, err := s.checkPIN(ctx, id, pin)
	if err != nil {
		return Cashier{}, err
	}
	if prev, ok := s.Current(); ok {
		if prev.ID == c.ID {
			return c, nil
		}
		if err := s.Logout(ctx); err != nil {
			return Cashier{}, err
		}
	}
	s.mu.Lock()
	s.current = c
	s.mu.Unlock()
	if s.Journal != nil {
		s.Journal.SetCashier(c)
		if err := s.Journal.RecordEvent(ctx, JournalLogin, 0, "", 0, string(c.Role)); err != nil {
			return c, err
		}
	}
	return c, nil
}

// Logout logs the current cashier out (journaled). Nobody logged in is fine.
func (s *CashierSession) Logout(ctx context.Context) error {
	prev, ok := s.Current()
	if !ok {
		return nil
	}
	if s.Journal != nil {
		if err := s.Journal.RecordEvent(ctx, JournalLogout, 0, "", 0, ""); err != nil {
			return err
		}
		s.Journal.SetCashier(Cashier{})
	}
	s.mu.Lock()
	if s.current.ID == prev.ID {
		s.current = Cashier{}
	}
	s.mu.Unlock()
	return nil
}

// Require returns nil when the current cashier may take the action,
// ErrNotLoggedIn or ErrNotAllowed otherwise.
func (s *CashierSession) Require(p Permission) error {
	c, ok := s.Current()
	if !ok {
		return ErrNotLoggedIn
	}
	if !c.Can(p) {
		return ErrNotAllowed
	}
	return nil
}

// Identify checks a cashier's PIN without logging them in (for commands
// run outside the till's window, which are journaled under that cashier).
func (s *CashierSession) Identify(ctx context.Context, id int64, pin string) (Cashier, error) {
	return s.checkPIN(ctx, id, pin)
}

// Approve lets a manager allow one action at a cashier's till by typing
// their PIN, without switching who is logged in.
func (s *CashierSession) Approve(ctx context.Context, managerID int64, pin string, p Permission) (Cashier, error) {
	m, err := s.checkPIN(ctx, managerID, pin)
	if err != nil {
		return Cashier{}, err
	}
	if !m.Can(p) {
		return Cashier{}, ErrNotAllowed
	}
	return m, nil
}

// AddCashier creates a cashier; the current cashier must be a manager,
// except for the very first cashier of a new till, who becomes a manager.
func (s *CashierSession) AddCashier(ctx context.Context, name string, role Role, pin string) (Cashier, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Cashier{}, ErrNoName
	}
	if role != RoleCashier && role != RoleManager {
		return Cashier{}, fmt.Errorf("unknown role %q", role)
	}
	all, err := s.Store.Cashiers(ctx)
	if err != nil {
		return Cashier{}, err
	}
	if len(all) == 0 {
		role = RoleManager
	} else if err := s.Require(PermCashiers); err != nil {
		return Cashier{}, err
	}
	hash, err := HashPIN(pin)
	if err != nil {
		return Cashier{}, err
	}
	c := Cashier{Name: name, Role: role, PINHash: hash, Active: true, CreatedAt: s.Now()}
	if err := s.Store.SaveCashier(ctx, &c); err != nil {
		return Cashier{}, err
	}
	c.PINHash = ""
	return c, nil
}
