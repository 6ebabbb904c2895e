package demo

import (
	"fmt"
	"strings"
	"time"
)

// Customer is a shopper with an account and one saved address.
type Customer struct {
	ID, FirstName, LastName, Email string
	Locale, Phone                  string
	Channel                        string // where they shop
	CreatedAt                      time.Time
	Address                        Address
}

// Name is the customer's full name.
func (c Customer) Name() string { return c.FirstName + " " + c.LastName }

// Address is a postal address.
type Address struct {
	ID, FirstName, LastName string
	Street1, City, Region   string
	PostalCode, Country     string
}

// Staff is a staff account with one role (the users migrations define
// the roles and their permissions).
type Staff struct{ ID, Name, Email, Role string }

// StaffRoles are the demo staff's roles, one person each. None is admin:
// the first admin is created with a random password, never a published one.
var StaffRoles = []string{"support", "catalog", "warehouse", "fulfilment", "finance", "marketing"}

// UserID is the id of the i-th demo customer, 1-based.
func UserID(i int) string { return fmt.Sprintf("usr_%04d", i) }

// StaffID is the id of the demo staff member with role.
func StaffID(role string) string { return "usr_staff_" + role }

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Ken", "Radia", "Dennis", "Margaret", "Linus", "Hedy"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Thompson", "Perlman", "Ritchie", "Hamilton", "Torvalds", "Lamarr"}
)

// homes are a street, city, region and postal code per country.
var homes = map[string][4]string{
	"US": {"Market St", "San Francisco", "CA", "94103"},
	"CA": {"Queen St W", "Toronto", "ON", "M5H 2M9"},
	"DE": {"Torstraße", "Berlin", "", "10119"},
	"FR": {"Rue de Rivoli", "Paris", "", "75001"},
	"NL": {"Prinsengracht", "Amsterdam", "", "1015"},
	"JP": {"Jingumae", "Tokyo", "Shibuya", "150-0001"},
}

// people: CustomersPerScale×scale customers, about 60% in the USD
// channel, 25% EUR and 15% JPY, registered over the year before the
// history starts (the first ones earliest), and the staff.
func people(until time.Time, scale int) ([]Customer, []Staff) {
	n := CustomersPerScale * scale
	since := until.AddDate(0, 0, -HistoryDays-365)
	out := make([]Customer, 0, n)
	for i := 1; i <= n; i++ {
		first, last := firstNames[(i-1)%len(firstNames)], lastNames[(i*5)%len(lastNames)]
		ch := Channels[0]
		switch i % 20 {
		case 17, 18, 19:
			ch = Channels[2]
		case 12, 13, 14, 15, 16:
			ch = Channels[1]
		}
		country := ch.Countries[0]
		if len(ch.Countries) > 1 && i%5 == 4 {
			country = ch.Countries[1+(i/5)%(len(ch.Countries)-1)]
		}
		locale := map[string]string{"USD": "en", "EUR": "de", "JPY": "ja"}[ch.Currency]
		if country == "FR" {
			locale = "fr"
		}
		h := homes[country]
		c := Customer{ID: UserID(i), FirstName: first, LastName: last, Locale: locale, Channel: ch.Slug,
			Email:     fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(first), strings.ToLower(last), i),
			Phone:     fmt.Sprintf("+1555%07d", i),
			CreatedAt: since.Add(time.Duration(i) * (365 * 24 * time.Hour / time.Duration(n))),
		}
		c.Address = Address{ID: fmt.Sprintf("adr_%06d", i), FirstName: first, LastName: last,
			Street1: fmt.Sprintf("%d %s", 10+i%190, h[0]), City: h[1], Region: h[2], PostalCode: h[3], Country: country}
		out = append(out, c)
	}
	var staff []Staff
	for _, r := range StaffRoles {
		staff = append(staff, Staff{ID: StaffID(r), Name: "Demo " + strings.ToUpper(r[:1]) + r[1:], Email: r + "@myshop.local", Role: r})
	}
	return out, staff
}
