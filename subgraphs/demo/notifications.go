package demo

// OptOut is a customer's choice not to hear about a category of messages
// (ORDERS, MARKETING) on a channel (EMAIL, SMS, PUSH). Everything not
// opted out of is on.
type OptOut struct{ UserID, Category, Channel string }

// OptOuts are the customers' notification choices: about one in three
// turned marketing email off, one in eight order pushes (no app, or no
// patience), one in forty order emails; every customer whose number ends
// in 7 turned off both order channels, so the demo has shoppers whose
// order messages are all suppressed.
func (w *World) OptOuts() []OptOut {
	var out []OptOut
	for i, c := range w.Customers {
		n := i + 1
		if n%3 == 0 {
			out = append(out, OptOut{c.ID, "MARKETING", "EMAIL"})
		}
		if n%8 == 0 || n%10 == 7 {
			out = append(out, OptOut{c.ID, "ORDERS", "PUSH"})
		}
		if n%40 == 0 || n%10 == 7 {
			out = append(out, OptOut{c.ID, "ORDERS", "EMAIL"})
		}
	}
	return out
}
