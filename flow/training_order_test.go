package flow_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
)

// stubTill is a Till whose Views a test sends itself.
type stubTill struct {
	flow.Till // nil: only View and Subscribe are used
	mu        sync.Mutex
	fn        func(flow.View)
}

func (s *stubTill) View() flow.View { return flow.View{} }

func (s *stubTill) Subscribe(fn func(flow.View)) func() {
	s.mu.Lock()
	s.fn = fn
	s.mu.Unlock()
	return func() {}
}

func (s *stubTill) send(v flow.View) {
	s.mu.Lock()
	fn := s.fn
	s.mu.Unlock()
	fn(v)
}

// A View of the real till still on its way to the windows when training
// mode starts must not arrive after the switch's own and unmark them.
func TestTrainingSwitchIsNotUndoneByALateView(t *testing.T) {
	real, training := &stubTill{}, &stubTill{}
	ej := flow.NewElectronicJournal(storetest.OpenSQLite(t), "pos1", time.UTC, nil)
	tt := &flow.TrainingTill{Real: real, Journal: ej,
		NewTraining: func(context.Context) (flow.Till, error) { return training, nil }}
	defer tt.Close()
	var mu sync.Mutex
	var seen []bool
	inDelivery, release := make(chan struct{}), make(chan struct{})
	defer tt.Subscribe(func(v flow.View) {
		mu.Lock()
		first := len(seen) == 0 && !v.Training
		mu.Unlock()
		if first {
			close(inDelivery)
			<-release // the windows are slow to take the real till's View
		}
		mu.Lock()
		seen = append(seen, v.Training)
		mu.Unlock()
	})()
	go real.send(flow.View{})
	<-inDelivery
	done := make(chan error, 1)
	go func() { done <- tt.RequireTraining(context.Background()) }()
	select {
	case err := <-done: // the switch did not wait for the delivery: the late View would win
		close(release)
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(200 * time.Millisecond):
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n, last := len(seen), len(seen) > 0 && seen[len(seen)-1]
		mu.Unlock()
		if n >= 2 {
			if !last {
				t.Fatalf("the windows were left unmarked: %v", seen)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("views seen: %v", seen)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
