// greeter 2.0.0: needs a capability this host may lack, and refuses itself without it.
export function isAcceptable() {
  return process.env.GREETER_V2_ENABLED === '1';
}

export function createPlugin(host) {
  const http = host.plugin('http');
  let router;
  return {
    greet(name) {
      return `Greetings, ${name}.`;
    },
    init() {
      router = http.router('/greeter');
      router.get('/', (req, res) => {
        res.json({ message: this.greet(req.query.name ?? 'world'), version: host.version });
      });
    },
    close() {
      http.unmount(router);
    },
  };
}
