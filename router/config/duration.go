package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as "1s", "250ms"; "off" is -1, which
// turns the setting off where the field says so (zero means the default).
type Duration time.Duration

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string {
	if d < 0 {
		return "off"
	}
	return time.Duration(d).String()
}

// UnmarshalYAML reads "1s" or "off".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Value == "off" {
		*d = -1
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 500ms or 10s", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the form UnmarshalYAML reads.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }
