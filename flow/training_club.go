package flow

import "context"

// The club intents go to the till in use; a till without them (a
// stand-in) has nothing to do.

func (t *TrainingTill) RemoveCustomer(ctx context.Context) error {
	if ct, ok := t.active().(ClubTill); ok {
		return ct.RemoveCustomer(ctx)
	}
	return nil
}

func (t *TrainingTill) UseCheque(ctx context.Context) error {
	if ct, ok := t.active().(ClubTill); ok {
		return ct.UseCheque(ctx)
	}
	return nil
}

var _ ClubTill = (*JournaledTill)(nil)

// RemoveCustomer and UseCheque go to the journaled till's checkout.
func (j *JournaledTill) RemoveCustomer(ctx context.Context) error {
	if ct, ok := j.Till.(ClubTill); ok {
		return ct.RemoveCustomer(ctx)
	}
	return nil
}

func (j *JournaledTill) UseCheque(ctx context.Context) error {
	if ct, ok := j.Till.(ClubTill); ok {
		return ct.UseCheque(ctx)
	}
	return nil
}
