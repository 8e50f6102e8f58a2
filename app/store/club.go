package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/kasse-pos/kasse/flow"
)

// clubRulesRow is one version of the club's rules (flow.ClubRules as
// JSON); the newest is in force, the older ones are their history.
type clubRulesRow struct {
	ID        int64  `gorm:"primaryKey"`
	Rules     string `gorm:"type:text;not null"`
	ChangedBy string `gorm:"size:200;not null;default:''"`
	ChangedAt time.Time
}

func (clubRulesRow) TableName() string { return "club_rules" }

var _ flow.ClubRuleSource = (*DB)(nil)

// ClubRules returns the rules in force; none (ordinary prices, no points)
// until a manager set some.
func (db *DB) ClubRules(ctx context.Context) (flow.ClubRules, error) {
	var r clubRulesRow
	err := db.gorm.WithContext(ctx).Order("id DESC").Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return flow.ClubRules{}, nil
	}
	if err != nil {
		return flow.ClubRules{}, err
	}
	var rules flow.ClubRules
	if err := json.Unmarshal([]byte(r.Rules), &rules); err != nil {
		return flow.ClubRules{}, fmt.Errorf("store: club rules %d: %w", r.ID, err)
	}
	return rules, nil
}

// SetClubRules stores new rules in force from now, keeping the old ones.
func (db *DB) SetClubRules(ctx context.Context, rules flow.ClubRules, by string) error {
	if err := rules.Validate(); err != nil {
		return err
	}
	b, err := json.Marshal(rules)
	if err != nil {
		return err
	}
	return db.gorm.WithContext(ctx).Create(&clubRulesRow{Rules: string(b), ChangedBy: by, ChangedAt: db.now()}).Error
}
