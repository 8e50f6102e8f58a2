// Checks every signature of a SAF-T Cash Register export with Skatteetaten's
// own validator: validator.js (a byte copy of "Digital Signature Validator/
// validator.js" in github.com/Skatteetaten/saf-t) runs unchanged in a VM
// context with jsrsasign, the library its Validator.html loads, and a
// stand-in for the page's form fields. For each transaction this fills in
// what an auditor would type: the signed text (previous signature;transDate;
// transTime;nr;transAmntIn;transAmntEx), the public key and the cash
// register's signature, presses "Verify" (verifySignature) and reads the
// alert it shows.
//
//   npm ci && node verify.js EXPORT.xml PUBLIC.pem
//
// Exit status 0 when every signature is OK, 1 at the first that is not.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const rs = require('jsrsasign');

const [xmlFile, pemFile] = process.argv.slice(2);
if (!xmlFile || !pemFile) {
  console.error('usage: node verify.js EXPORT.xml PUBLIC.pem');
  process.exit(2);
}
const xml = fs.readFileSync(xmlFile, 'utf8');
const publicKey = fs.readFileSync(pemFile, 'utf8').trim();

const fields = {};
const field = (id) => fields[id] || (fields[id] = { value: '', innerHTML: '', title: '', style: {} });
let alerts = [];
const page = {
  document: { getElementById: field, forms: [{}] },
  alert: (m) => alerts.push(String(m)),
  Option: function () {},
  KJUR: rs.KJUR, KEYUTIL: rs.KEYUTIL, b64tohex: rs.b64tohex, hex2b64: rs.hex2b64,
  linebrk: (s, n) => s.match(new RegExp('.{1,' + n + '}', 'g')).join('\n'),
};
vm.createContext(page);
vm.runInContext(fs.readFileSync(path.join(__dirname, 'validator.js'), 'utf8'), page, { filename: 'validator.js' });

const first = (block, tag) => {
  const m = block.match(new RegExp('<' + tag + '>([^<]*)</' + tag + '>'));
  return m ? m[1] : '';
};
let checked = 0;
for (const reg of xml.split('<cashregister>').slice(1)) {
  const register = first(reg, 'registerID');
  let prev = '0';
  for (const tx of reg.split('<cashtransaction>').slice(1)) {
    const nr = first(tx, 'nr');
    const text = [prev, first(tx, 'transDate'), first(tx, 'transTime'), nr, first(tx, 'transAmntIn'), first(tx, 'transAmntEx')].join(';');
    const signature = first(tx, 'signature');
    alerts = [];
    const formatOK = page.tekstTilSigneringOK(text);
    field('metode').value = 'SHA1withRSA';
    field('text').value = text;
    field('publicKey').value = publicKey;
    field('signature').value = signature; // "generated" field must not be empty
    field('signatureCRS').value = signature;
    page.verifySignature();
    const verdict = alerts[alerts.length - 1];
    if (!formatOK || verdict !== 'Signaturen er OK') {
      console.log(`FAIL register ${register} nr ${nr}: ${alerts.join(' / ')}\n  signed text: ${text}`);
      process.exit(1);
    }
    console.log(`OK   register ${register} nr ${nr}: ${verdict}`);
    checked++;
    prev = signature;
  }
}
console.log(`${checked} signatures OK (Skatteetaten validator.js)`);
