package e2e

// storefrontWant is the storefront query's answer over the demo data, one
// product a line, keys in the query's order. The names come from the users
// subgraph, everything else from products. Hidden (moderated) reviews are
// left out, so some products show fewer than three.
const storefrontWant = `{"products":{"edges":[
		{"node":{"id":"prd_00001","name":"Deluxe Smart Bulb","price":{"amount":"301.99","currencyCode":"USD"},"reviews":{"edges":[{"node":{"rating":5,"author":{"id":"usr_0002","name":"Grace Torvalds"}}},{"node":{"rating":5,"author":{"id":"usr_0004","name":"Barbara Ritchie"}}}]}}},
		{"node":{"id":"prd_00002","name":"Classic French Press","price":{"amount":"163.99","currencyCode":"USD"},"reviews":{"edges":[{"node":{"rating":3,"author":{"id":"usr_0005","name":"Edsger Hopper"}}},{"node":{"rating":5,"author":{"id":"usr_0018","name":"Frances Thompson"}}}]}}},
		{"node":{"id":"prd_00003","name":"Organic Tent","price":{"amount":"132.99","currencyCode":"USD"},"reviews":{"edges":[{"node":{"rating":5,"author":{"id":"usr_0003","name":"Alan Liskov"}}},{"node":{"rating":4,"author":{"id":"usr_0023","name":"Linus Perlman"}}},{"node":{"rating":1,"author":{"id":"usr_0007","name":"Ken Lamarr"}}}]}}},
		{"node":{"id":"prd_00004","name":"Studio Earbuds","price":{"amount":"237.99","currencyCode":"USD"},"reviews":{"edges":[{"node":{"rating":4,"author":{"id":"usr_0007","name":"Ken Lamarr"}}}]}}},
		{"node":{"id":"prd_00005","name":"Trail Soundbar","price":{"amount":"162.99","currencyCode":"USD"},"reviews":{"edges":[{"node":{"rating":5,"author":{"id":"usr_0017","name":"Edsger Hopper"}}},{"node":{"rating":5,"author":{"id":"usr_0004","name":"Barbara Ritchie"}}},{"node":{"rating":4,"author":{"id":"usr_0019","name":"Ken Lamarr"}}}]}}}
]}}`
