// shouter 1.0.0: GET /shout?name= shouts the greeter's greeting.
export default function createPlugin(host) {
  const http = host.plugin('http');
  const greeter = host.dependencies.greeter;
  let router;
  return {
    init() {
      router = http.router('/shout');
      router.get('/', (req, res) => {
        res.json({ message: greeter.greet(req.query.name ?? 'world').toUpperCase() });
      });
    },
    close() {
      http.unmount(router);
    },
  };
}
