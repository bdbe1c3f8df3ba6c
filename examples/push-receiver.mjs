// A minimal RFC 8935 push receiver: checks the Authorization header the stream was given, verifies
// each SET against the gateway's JWKS (signature, typ, iss, aud), answers 202, or 400 with an
// RFC 8935 error. Usage (Node 20+, jose installed):
//   node examples/push-receiver.mjs --port 8088 --gateway http://localhost:4000 \
//     --issuer http://localhost:4000 --audience shop-b --authorization 'Bearer s3cret'
import http from 'node:http';
import { parseArgs } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { values: o } = parseArgs({
  options: { port: { type: 'string', default: '8088' }, gateway: { type: 'string', default: 'http://localhost:4000' }, issuer: { type: 'string', default: 'http://localhost:4000' }, audience: { type: 'string' }, authorization: { type: 'string' } },
});
if (!o.audience) throw new Error('--audience (the stream aud) is required');
const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', o.gateway));
const seen = new Set(); // jti: a redelivery of a SET already processed is acknowledged again, not processed twice

const refuse = (res, err, description) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ err, description }));

http
  .createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => ((size += c.length) <= 65536 ? chunks.push(c) : req.destroy()));
    req.on('end', async () => {
      if (o.authorization && req.headers.authorization !== o.authorization) return refuse(res, 'authentication_failed', 'wrong Authorization header');
      if (req.headers['content-type'] !== 'application/secevent+jwt') return refuse(res, 'invalid_request', 'expected application/secevent+jwt');
      try {
        const { payload } = await jwtVerify(Buffer.concat(chunks).toString(), jwks, { issuer: o.issuer, audience: o.audience, typ: 'secevent+jwt' });
        if (!seen.has(payload.jti)) {
          seen.add(payload.jti);
          console.log(JSON.stringify({ jti: payload.jti, sub_id: payload.sub_id, txn: payload.txn, events: payload.events }));
        }
        res.writeHead(202).end();
      } catch (e) {
        const code = e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' ? (e.claim === 'iss' ? 'invalid_issuer' : e.claim === 'aud' ? 'invalid_audience' : 'invalid_request') : e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || e.code === 'ERR_JWKS_NO_MATCHING_KEY' ? 'invalid_key' : 'invalid_request';
        refuse(res, code, e.message);
      }
    });
  })
  .listen(Number(o.port), () => console.error(`RFC 8935 receiver on :${o.port}, audience ${o.audience}`));
