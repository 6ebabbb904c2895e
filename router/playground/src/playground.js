// Starts GraphiQL against the router's endpoint. Kept out of the HTML so the
// page runs under a Content-Security-Policy without 'unsafe-inline' scripts.
(function () {
  var script = document.currentScript;
  var endpoint = new URL(script.getAttribute('data-endpoint') || '/graphql', window.location.href).href;
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      // Headers (e.g. Authorization: Bearer ...) are edited in the lower
      // panel; they are not kept in localStorage, tokens must not linger.
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers',
      defaultQuery:
        '# MyShop supergraph: the docs icon (top left) explores the schema.\n' +
        '# Headers tab: {"Authorization": "Bearer <token>"}\n' +
        '{\n  products(first: 3) {\n    edges { node { id name } }\n  }\n}\n',
    }),
  );
})();
