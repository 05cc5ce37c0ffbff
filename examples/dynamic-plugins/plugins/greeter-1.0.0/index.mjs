// greeter 1.0.0: GET /greeter?name= answers a greeting.
export function createPlugin(host) {
  const http = host.plugin('http');
  let router;
  return {
    greet(name) {
      return `Hello, ${name}!`;
    },
    init(ctx) {
      router = http.router('/greeter');
      router.get('/', (req, res) => {
        res.json({ message: this.greet(req.query.name ?? 'world'), version: host.version });
      });
      ctx.log.info(`greeter ${host.version} serves GET /greeter`);
    },
    close() {
      http.unmount(router);
    },
  };
}
