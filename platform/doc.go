// Package platform is the module the router and the subgraphs both import:
// authentication (auth), tracing and logging (telemetry), ids and typed
// errors (errs). It holds no GraphQL server and no database driver, so
// the router's build never carries gqlgen, pgx or goose.
package platform
