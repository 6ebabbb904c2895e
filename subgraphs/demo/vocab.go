package demo

// The demo catalog's vocabulary. Six departments, each a product type with
// its own nouns, sub-categories and attributes.
type department struct {
	name     string
	children []string
	// grandchildren of the first child, for a third level
	grandchildren []string
	nouns         []string
	attributes    []string // attribute slugs, in display order
}

var departments = []department{
	{"Bags", []string{"Backpacks", "Totes", "Luggage"}, nil, []string{"Backpack", "Tote", "Duffel", "Messenger Bag", "Suitcase"}, []string{"colour", "material", "waterproof", "capacity-litres"}},
	{"Kitchen", []string{"Coffee", "Cookware", "Knives"}, []string{"Grinders", "Kettles"}, []string{"Coffee Grinder", "Kettle", "Skillet", "Chef Knife", "French Press"}, []string{"colour", "material", "warranty-years"}},
	{"Lighting", []string{"Desk Lamps", "Floor Lamps", "Bulbs"}, nil, []string{"Desk Lamp", "Floor Lamp", "Reading Light", "Smart Bulb"}, []string{"colour", "wattage", "dimmable"}},
	{"Audio", []string{"Headphones", "Speakers", "Accessories"}, []string{"Over-Ear", "In-Ear"}, []string{"Headphones", "Earbuds", "Speaker", "Soundbar"}, []string{"colour", "wireless", "battery-hours", "warranty-years"}},
	{"Stationery", []string{"Notebooks", "Pens", "Desk Organisers"}, nil, []string{"Notebook", "Fountain Pen", "Sketchbook", "Planner"}, []string{"colour", "paper-gsm", "origin"}},
	{"Outdoor", []string{"Hydration", "Camping", "Clothing"}, []string{"Bottles", "Flasks"}, []string{"Water Bottle", "Tent", "Rain Jacket", "Headlamp"}, []string{"colour", "material", "waterproof", "capacity-litres"}},
}

type attributeDef struct {
	slug, name, kind string
	choices          []string
}

var attributeDefs = []attributeDef{
	{"colour", "Colour", "CHOICE", []string{"black", "white", "grey", "navy", "olive", "red", "sand", "teal"}},
	{"material", "Material", "CHOICE", []string{"cotton", "leather", "nylon", "steel", "aluminium", "wood"}},
	{"waterproof", "Waterproof", "BOOLEAN", nil},
	{"capacity-litres", "Capacity (litres)", "NUMBER", nil},
	{"warranty-years", "Warranty (years)", "NUMBER", nil},
	{"wattage", "Wattage", "NUMBER", nil},
	{"dimmable", "Dimmable", "BOOLEAN", nil},
	{"wireless", "Wireless", "BOOLEAN", nil},
	{"battery-hours", "Battery life (hours)", "NUMBER", nil},
	{"paper-gsm", "Paper weight (gsm)", "NUMBER", nil},
	{"origin", "Made in", "TEXT", nil},
}

var (
	brandNames = []string{"Northwind", "Acme", "Fjord", "Kumo", "Atlas", "Lumen", "Pioneer", "Tidewater",
		"Granite", "Osprey Lane", "Halcyon", "Juniper", "Meridian", "Sable", "Vireo"}
	adjectives = []string{"Classic", "Organic", "Rugged", "Compact", "Deluxe", "Vintage", "Smart", "Everyday", "Trail", "Studio",
		"Urban", "Nordic"}
	blurbs = []string{
		"Built to last, with a lifetime of everyday use in mind.",
		"Light enough to carry anywhere, tough enough for the trail.",
		"A quiet design that fits any room or routine.",
		"Made in small batches from carefully chosen materials.",
		"Our best seller, refined over five years of customer feedback.",
		"Simple to use, easy to repair, and made to be passed on.",
	}
	origins  = []string{"Portugal", "Japan", "Vietnam", "Germany", "Mexico", "USA"}
	sizes    = []string{"XS", "S", "M", "L", "XL"}
	opinions = []string{
		"Does exactly what it says.", "Better than I expected for the price.", "Broke after two weeks.",
		"My second one; I gave the first away.", "Arrived late but works well.", "Solid build, a bit heavy.",
		"Would not buy again.", "The colour is lovely in person.",
	}
	titles = []string{"Love it", "Good value", "Disappointed", "Exactly as described", "Solid", "Not for me", "Great gift"}
)
