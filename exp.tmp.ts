import express from 'express';
const app = express();
const n = Number(process.argv[2]);
for (let i = 0; i < n; i++) app.get(`/route${i}/:x`, (_q, r) => void r.end());
app.get('/hello', (req, res) => void res.json({ message: `Hello, ${req.query.name}!` }));
const s = app.listen(0, '127.0.0.1', () => console.log('port ' + (s.address() as any).port));
process.on('SIGTERM', () => { const u = process.cpuUsage(); console.log('cpu', u.user + u.system); process.exit(0); });
