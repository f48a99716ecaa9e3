#!/usr/bin/env node
// tests/jayson-client.js PORT — drive the lesson 03 server with jayson, a
// JSON-RPC client library nobody here wrote (pinned in package.json).
// Prints one "ok - ..." line per check; exits 1 at the first failure.
'use strict';

const assert = require('node:assert/strict');
const jayson = require('jayson/promise');

const port = Number(process.argv[2]);
// jayson's TCP client sends one JSON text and the delimiter, and reads the
// reply up to the delimiter: newline-delimited JSON, like our framing. It
// is the default; we say it anyway, since the test depends on it.
const client = jayson.client.tcp({ host: '127.0.0.1', port, delimiter: '\n' });

const checks = [
  ['ping answers "pong"', async () => {
    const reply = await client.request('ping', []);
    assert.equal(reply.result, 'pong');
    assert.equal(reply.jsonrpc, '2.0');
  }],
  ['subtract with positional params', async () => {
    assert.equal((await client.request('subtract', [42, 23])).result, 19);
  }],
  ['subtract with named params', async () => {
    const reply = await client.request('subtract', { subtrahend: 23, minuend: 42 });
    assert.equal(reply.result, 19);
  }],
  ['echo returns its params unchanged', async () => {
    const params = { text: 'héllo ☃ 🎉', list: [1, -2.5, true, null], nested: { a: [{}] } };
    assert.deepEqual((await client.request('echo', params)).result, params);
  }],
  ['the id comes back equal: generated string, number, 2^53 - 1', async () => {
    for (const id of [undefined, 7, 'abc', Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      const reply = await client.request('ping', [], id);
      if (id !== undefined) assert.equal(reply.id, id);
      assert.equal(typeof reply.id, id === undefined ? 'string' : typeof id);
    }
  }],
  ['an unknown method is error -32601', async () => {
    const reply = await client.request('no_such_method', []);
    assert.equal(reply.error.code, -32601);
    assert.equal(reply.error.message, 'Method not found');
  }],
  ['wrong params are error -32602 with a hint in data', async () => {
    const reply = await client.request('subtract', ['a', 'b']);
    assert.equal(reply.error.code, -32602);
    assert.match(reply.error.data, /minuend/);
  }],
  ['a notification gets no reply', async () => {
    assert.equal(await client.request('notify_hello', [7], null), undefined);
  }],
  ['a batch is answered in order, without its notification', async () => {
    const replies = await client.request([
      client.request('sum', [1, 2, 4], '1', false),
      client.request('notify_hello', [7], null, false),
      client.request('get_data', [], '9', false),
    ]);
    assert.deepEqual(replies, [
      { jsonrpc: '2.0', result: 7, id: '1' },
      { jsonrpc: '2.0', result: ['hello', 5], id: '9' },
    ]);
  }],
];

(async () => {
  for (const [name, check] of checks) {
    try {
      await check();
    } catch (err) {
      console.log(`not ok - ${name}\n${err.stack}`);
      process.exit(1);
    }
    console.log(`ok - ${name}`);
  }
})();
