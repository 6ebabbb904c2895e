package e2e

// storefrontWant is the storefront query's answer over the demo data, one
// product a line, keys in the query's order. The names come from the users
// subgraph, everything else from products.
const storefrontWant = `{"products":{"edges":[
		{"node":{"id":"prd_00001","name":"Classic Backpack","price":{"amount":"114.99","currencyCode":"USD"},"reviews":{"edges":[{"node":{"rating":5,"author":{"id":"usr_0023","name":"Linus Perlman"}}},{"node":{"rating":3,"author":{"id":"usr_0006","name":"Frances Thompson"}}},{"node":{"rating":1,"author":{"id":"usr_0008","name":"Radia Dijkstra"}}}]}}},
		{"node":{"id":"prd_00002","name":"Organic Backpack","price":{"amount":"165.99","currencyCode":"USD"},"reviews":{"edges":[{"node":{"rating":5,"author":{"id":"usr_0002","name":"Grace Torvalds"}}},{"node":{"rating":1,"author":{"id":"usr_0013","name":"Ada Allen"}}},{"node":{"rating":5,"author":{"id":"usr_0023","name":"Linus Perlman"}}}]}}},
		{"node":{"id":"prd_00003","name":"Rugged Backpack","price":{"amount":"219.99","currencyCode":"USD"},"reviews":{"edges":[{"node":{"rating":3,"author":{"id":"usr_0008","name":"Radia Dijkstra"}}},{"node":{"rating":5,"author":{"id":"usr_0009","name":"Dennis Hamilton"}}},{"node":{"rating":2,"author":{"id":"usr_0020","name":"Radia Dijkstra"}}}]}}},
		{"node":{"id":"prd_00004","name":"Compact Backpack","price":{"amount":"55.99","currencyCode":"USD"},"reviews":{"edges":[{"node":{"rating":5,"author":{"id":"usr_0009","name":"Dennis Hamilton"}}},{"node":{"rating":5,"author":{"id":"usr_0002","name":"Grace Torvalds"}}},{"node":{"rating":2,"author":{"id":"usr_0019","name":"Ken Lamarr"}}}]}}},
		{"node":{"id":"prd_00005","name":"Deluxe Backpack","price":{"amount":"279.99","currencyCode":"USD"},"reviews":{"edges":[{"node":{"rating":5,"author":{"id":"usr_0021","name":"Dennis Hamilton"}}},{"node":{"rating":2,"author":{"id":"usr_0019","name":"Ken Lamarr"}}},{"node":{"rating":2,"author":{"id":"usr_0001","name":"Ada Allen"}}}]}}}
]}}`
