// @ts-nocheck
// Generated from config/mesh.schema.json by scripts/gen-schema-validator.ts: do not edit.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);

export const validate = validate10;
export default validate10;
const schema11 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://meshlet.dev/schemas/mesh.schema.json","title":"meshlet mesh.yaml","description":"The mesh ConfigMap (key mesh.yaml) read by every meshlet sidecar.","type":"object","minProperties":1,"additionalProperties":false,"properties":{"trustDomain":{"type":"string","minLength":1,"pattern":"^[a-z0-9.\\-_]+$","default":"cluster.local","description":"SPIFFE trust domain."},"mtls":{"$ref":"#/definitions/mtlsMode","default":"permissive"},"outboundTrafficPolicy":{"enum":["allowAny","registryOnly"],"default":"allowAny","description":"What to do with calls to hosts not listed under services."},"upstreamIdleTimeout":{"$ref":"#/definitions/duration","description":"Close pooled upstream connections idle this long (default 4s), before a typical upstream idle timeout."},"streamIdleTimeout":{"$ref":"#/definitions/duration","description":"End a request whose body (either direction) sends nothing for this long (default 5m, as Envoy's stream_idle_timeout); 0s disables."},"tracing":{"type":"object","additionalProperties":false,"properties":{"sampling":{"type":"number","minimum":0,"maximum":1,"description":"Parent-based ratio sampling for new traces."},"otlpEndpoint":{"type":"string","pattern":"^https?://[^/?#]","description":"OTLP/HTTP traces endpoint, e.g. http://jaeger-collector:4318/v1/traces."}}},"services":{"type":"object","propertyNames":{"pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},"additionalProperties":{"$ref":"#/definitions/service"}}},"definitions":{"mtlsMode":{"enum":["strict","permissive","disable"]},"duration":{"type":"string","pattern":"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$","description":"A duration such as 250ms, 5s, 1m30s."},"host":{"type":"string","minLength":1,"maxLength":255,"pattern":"^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$","description":"A DNS name or an IP address (IPv6 with or without brackets); never a port, scheme or path: the port goes in port:."},"port":{"type":"integer","minimum":1,"maximum":65535},"stringMatch":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"}}},"headerMatch":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"},"present":{"type":"boolean"}}},"version":{"type":"object","additionalProperties":false,"required":["host"],"properties":{"host":{"$ref":"#/definitions/host"},"port":{"$ref":"#/definitions/port"}}},"route":{"type":"object","additionalProperties":false,"required":["split"],"properties":{"name":{"type":"string"},"match":{"type":"object","additionalProperties":false,"properties":{"headers":{"type":"object","propertyNames":{"pattern":"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},"additionalProperties":{"$ref":"#/definitions/headerMatch"}},"path":{"$ref":"#/definitions/stringMatch"},"method":{"oneOf":[{"type":"string","pattern":"^[A-Z]+$"},{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1}]}}},"split":{"type":"object","minProperties":1,"additionalProperties":{"type":"integer","minimum":0,"maximum":1000000}},"sticky":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"header":{"type":"string","minLength":1},"cookie":{"type":"string","minLength":1}}},"timeout":{"$ref":"#/definitions/duration"}}},"allowRule":{"type":"object","additionalProperties":false,"required":["from"],"properties":{"from":{"type":"array","items":{"type":"string","minLength":1},"minItems":1},"methods":{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1},"paths":{"type":"array","items":{"type":"string","pattern":"^/"},"minItems":1}}},"service":{"type":"object","additionalProperties":false,"properties":{"namespace":{"type":"string","pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},"serviceAccount":{"type":"string","maxLength":253,"pattern":"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$","description":"A Kubernetes service account name; it becomes part of the SPIFFE ID (a URI)."},"port":{"$ref":"#/definitions/port"},"mtls":{"$ref":"#/definitions/mtlsMode"},"versions":{"type":"object","minProperties":1,"propertyNames":{"pattern":"^[A-Za-z0-9][-A-Za-z0-9_.]*$"},"additionalProperties":{"$ref":"#/definitions/version"}},"timeout":{"$ref":"#/definitions/duration"},"streamIdleTimeout":{"$ref":"#/definitions/duration","description":"Overrides the mesh-wide streamIdleTimeout for calls to this service."},"retries":{"type":"object","additionalProperties":false,"required":["attempts"],"properties":{"attempts":{"type":"integer","minimum":0,"maximum":10},"on":{"type":"array","items":{"anyOf":[{"enum":["connect-failure","reset","5xx","gateway-error"]},{"type":"integer","minimum":400,"maximum":599}]}},"perTryTimeout":{"$ref":"#/definitions/duration"}}},"routes":{"type":"array","items":{"$ref":"#/definitions/route"}},"allowMode":{"enum":["enforce","audit"]},"allow":{"type":"array","items":{"$ref":"#/definitions/allowRule"}}}}}};
const schema12 = {"enum":["strict","permissive","disable"]};
const schema13 = {"type":"string","pattern":"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$","description":"A duration such as 250ms, 5s, 1m30s."};
const func2 = require("ajv/dist/runtime/ucs2length").default;
const pattern0 = new RegExp("^[a-z0-9.\\-_]+$", "u");
const pattern1 = new RegExp("^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$", "u");
const pattern3 = new RegExp("^https?://[^/?#]", "u");
const pattern4 = new RegExp("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "u");
const schema15 = {"type":"object","additionalProperties":false,"properties":{"namespace":{"type":"string","pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},"serviceAccount":{"type":"string","maxLength":253,"pattern":"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$","description":"A Kubernetes service account name; it becomes part of the SPIFFE ID (a URI)."},"port":{"$ref":"#/definitions/port"},"mtls":{"$ref":"#/definitions/mtlsMode"},"versions":{"type":"object","minProperties":1,"propertyNames":{"pattern":"^[A-Za-z0-9][-A-Za-z0-9_.]*$"},"additionalProperties":{"$ref":"#/definitions/version"}},"timeout":{"$ref":"#/definitions/duration"},"streamIdleTimeout":{"$ref":"#/definitions/duration","description":"Overrides the mesh-wide streamIdleTimeout for calls to this service."},"retries":{"type":"object","additionalProperties":false,"required":["attempts"],"properties":{"attempts":{"type":"integer","minimum":0,"maximum":10},"on":{"type":"array","items":{"anyOf":[{"enum":["connect-failure","reset","5xx","gateway-error"]},{"type":"integer","minimum":400,"maximum":599}]}},"perTryTimeout":{"$ref":"#/definitions/duration"}}},"routes":{"type":"array","items":{"$ref":"#/definitions/route"}},"allowMode":{"enum":["enforce","audit"]},"allow":{"type":"array","items":{"$ref":"#/definitions/allowRule"}}}};
const schema16 = {"type":"integer","minimum":1,"maximum":65535};
const schema28 = {"type":"object","additionalProperties":false,"required":["from"],"properties":{"from":{"type":"array","items":{"type":"string","minLength":1},"minItems":1},"methods":{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1},"paths":{"type":"array","items":{"type":"string","pattern":"^/"},"minItems":1}}};
const func3 = Object.prototype.hasOwnProperty;
const pattern6 = new RegExp("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "u");
const pattern7 = new RegExp("^[A-Za-z0-9][-A-Za-z0-9_.]*$", "u");
const pattern13 = new RegExp("^[A-Z]+$", "u");
const pattern17 = new RegExp("^/", "u");
const schema18 = {"type":"object","additionalProperties":false,"required":["host"],"properties":{"host":{"$ref":"#/definitions/host"},"port":{"$ref":"#/definitions/port"}}};
const schema19 = {"type":"string","minLength":1,"maxLength":255,"pattern":"^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$","description":"A DNS name or an IP address (IPv6 with or without brackets); never a port, scheme or path: the port goes in port:."};
const pattern8 = new RegExp("^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$", "u");

function validate12(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.host === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "host"},message:"must have required property '"+"host"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
for(const key0 in data){
if(!((key0 === "host") || (key0 === "port"))){
const err1 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.host !== undefined){
let data0 = data.host;
if(typeof data0 === "string"){
if(func2(data0) > 255){
const err2 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/maxLength",keyword:"maxLength",params:{limit: 255},message:"must NOT have more than 255 characters"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(func2(data0) < 1){
const err3 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
if(!pattern8.test(data0)){
const err4 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/pattern",keyword:"pattern",params:{pattern: "^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$"},message:"must match pattern \""+"^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$"+"\""};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
else {
const err5 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.port !== undefined){
let data1 = data.port;
if(!((typeof data1 == "number") && (!(data1 % 1) && !isNaN(data1)))){
const err6 = {instancePath:instancePath+"/port",schemaPath:"#/definitions/port/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
if(typeof data1 == "number"){
if(data1 > 65535 || isNaN(data1)){
const err7 = {instancePath:instancePath+"/port",schemaPath:"#/definitions/port/maximum",keyword:"maximum",params:{comparison: "<=", limit: 65535},message:"must be <= 65535"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
if(data1 < 1 || isNaN(data1)){
const err8 = {instancePath:instancePath+"/port",schemaPath:"#/definitions/port/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
}
}
else {
const err9 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
validate12.errors = vErrors;
return errors === 0;
}

const schema24 = {"type":"object","additionalProperties":false,"required":["split"],"properties":{"name":{"type":"string"},"match":{"type":"object","additionalProperties":false,"properties":{"headers":{"type":"object","propertyNames":{"pattern":"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},"additionalProperties":{"$ref":"#/definitions/headerMatch"}},"path":{"$ref":"#/definitions/stringMatch"},"method":{"oneOf":[{"type":"string","pattern":"^[A-Z]+$"},{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1}]}}},"split":{"type":"object","minProperties":1,"additionalProperties":{"type":"integer","minimum":0,"maximum":1000000}},"sticky":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"header":{"type":"string","minLength":1},"cookie":{"type":"string","minLength":1}}},"timeout":{"$ref":"#/definitions/duration"}}};
const schema25 = {"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"},"present":{"type":"boolean"}}};
const schema26 = {"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"}}};
const pattern12 = new RegExp("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", "u");

function validate14(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.split === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "split"},message:"must have required property '"+"split"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
for(const key0 in data){
if(!(((((key0 === "name") || (key0 === "match")) || (key0 === "split")) || (key0 === "sticky")) || (key0 === "timeout"))){
const err1 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.name !== undefined){
if(typeof data.name !== "string"){
const err2 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.match !== undefined){
let data1 = data.match;
if(data1 && typeof data1 == "object" && !Array.isArray(data1)){
for(const key1 in data1){
if(!(((key1 === "headers") || (key1 === "path")) || (key1 === "method"))){
const err3 = {instancePath:instancePath+"/match",schemaPath:"#/properties/match/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data1.headers !== undefined){
let data2 = data1.headers;
if(data2 && typeof data2 == "object" && !Array.isArray(data2)){
for(const key2 in data2){
const _errs9 = errors;
if(typeof key2 === "string"){
if(!pattern12.test(key2)){
const err4 = {instancePath:instancePath+"/match/headers",schemaPath:"#/properties/match/properties/headers/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},message:"must match pattern \""+"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"+"\"",propertyName:key2};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
var valid2 = _errs9 === errors;
if(!valid2){
const err5 = {instancePath:instancePath+"/match/headers",schemaPath:"#/properties/match/properties/headers/propertyNames",keyword:"propertyNames",params:{propertyName: key2},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
for(const key3 in data2){
let data3 = data2[key3];
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(Object.keys(data3).length > 1){
const err6 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/headerMatch/maxProperties",keyword:"maxProperties",params:{limit: 1},message:"must NOT have more than 1 properties"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
if(Object.keys(data3).length < 1){
const err7 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/headerMatch/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
for(const key4 in data3){
if(!((((key4 === "exact") || (key4 === "prefix")) || (key4 === "regex")) || (key4 === "present"))){
const err8 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/headerMatch/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key4},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data3.exact !== undefined){
if(typeof data3.exact !== "string"){
const err9 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1")+"/exact",schemaPath:"#/definitions/headerMatch/properties/exact/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data3.prefix !== undefined){
if(typeof data3.prefix !== "string"){
const err10 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1")+"/prefix",schemaPath:"#/definitions/headerMatch/properties/prefix/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data3.regex !== undefined){
if(typeof data3.regex !== "string"){
const err11 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1")+"/regex",schemaPath:"#/definitions/headerMatch/properties/regex/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data3.present !== undefined){
if(typeof data3.present !== "boolean"){
const err12 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1")+"/present",schemaPath:"#/definitions/headerMatch/properties/present/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
}
else {
const err13 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/headerMatch/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
}
else {
const err14 = {instancePath:instancePath+"/match/headers",schemaPath:"#/properties/match/properties/headers/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data1.path !== undefined){
let data8 = data1.path;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
if(Object.keys(data8).length > 1){
const err15 = {instancePath:instancePath+"/match/path",schemaPath:"#/definitions/stringMatch/maxProperties",keyword:"maxProperties",params:{limit: 1},message:"must NOT have more than 1 properties"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
if(Object.keys(data8).length < 1){
const err16 = {instancePath:instancePath+"/match/path",schemaPath:"#/definitions/stringMatch/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
for(const key5 in data8){
if(!(((key5 === "exact") || (key5 === "prefix")) || (key5 === "regex"))){
const err17 = {instancePath:instancePath+"/match/path",schemaPath:"#/definitions/stringMatch/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key5},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data8.exact !== undefined){
if(typeof data8.exact !== "string"){
const err18 = {instancePath:instancePath+"/match/path/exact",schemaPath:"#/definitions/stringMatch/properties/exact/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data8.prefix !== undefined){
if(typeof data8.prefix !== "string"){
const err19 = {instancePath:instancePath+"/match/path/prefix",schemaPath:"#/definitions/stringMatch/properties/prefix/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data8.regex !== undefined){
if(typeof data8.regex !== "string"){
const err20 = {instancePath:instancePath+"/match/path/regex",schemaPath:"#/definitions/stringMatch/properties/regex/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
}
else {
const err21 = {instancePath:instancePath+"/match/path",schemaPath:"#/definitions/stringMatch/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data1.method !== undefined){
let data12 = data1.method;
const _errs34 = errors;
let valid8 = false;
let passing0 = null;
const _errs35 = errors;
if(typeof data12 === "string"){
if(!pattern13.test(data12)){
const err22 = {instancePath:instancePath+"/match/method",schemaPath:"#/properties/match/properties/method/oneOf/0/pattern",keyword:"pattern",params:{pattern: "^[A-Z]+$"},message:"must match pattern \""+"^[A-Z]+$"+"\""};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
else {
const err23 = {instancePath:instancePath+"/match/method",schemaPath:"#/properties/match/properties/method/oneOf/0/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
var _valid0 = _errs35 === errors;
if(_valid0){
valid8 = true;
passing0 = 0;
}
const _errs37 = errors;
if(Array.isArray(data12)){
if(data12.length < 1){
const err24 = {instancePath:instancePath+"/match/method",schemaPath:"#/properties/match/properties/method/oneOf/1/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
const len0 = data12.length;
for(let i0=0; i0<len0; i0++){
let data13 = data12[i0];
if(typeof data13 === "string"){
if(!pattern13.test(data13)){
const err25 = {instancePath:instancePath+"/match/method/" + i0,schemaPath:"#/properties/match/properties/method/oneOf/1/items/pattern",keyword:"pattern",params:{pattern: "^[A-Z]+$"},message:"must match pattern \""+"^[A-Z]+$"+"\""};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
else {
const err26 = {instancePath:instancePath+"/match/method/" + i0,schemaPath:"#/properties/match/properties/method/oneOf/1/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
}
else {
const err27 = {instancePath:instancePath+"/match/method",schemaPath:"#/properties/match/properties/method/oneOf/1/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
var _valid0 = _errs37 === errors;
if(_valid0 && valid8){
valid8 = false;
passing0 = [passing0, 1];
}
else {
if(_valid0){
valid8 = true;
passing0 = 1;
}
}
if(!valid8){
const err28 = {instancePath:instancePath+"/match/method",schemaPath:"#/properties/match/properties/method/oneOf",keyword:"oneOf",params:{passingSchemas: passing0},message:"must match exactly one schema in oneOf"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
else {
errors = _errs34;
if(vErrors !== null){
if(_errs34){
vErrors.length = _errs34;
}
else {
vErrors = null;
}
}
}
}
}
else {
const err29 = {instancePath:instancePath+"/match",schemaPath:"#/properties/match/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
if(data.split !== undefined){
let data14 = data.split;
if(data14 && typeof data14 == "object" && !Array.isArray(data14)){
if(Object.keys(data14).length < 1){
const err30 = {instancePath:instancePath+"/split",schemaPath:"#/properties/split/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
for(const key6 in data14){
let data15 = data14[key6];
if(!((typeof data15 == "number") && (!(data15 % 1) && !isNaN(data15)))){
const err31 = {instancePath:instancePath+"/split/" + key6.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/split/additionalProperties/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
if(typeof data15 == "number"){
if(data15 > 1000000 || isNaN(data15)){
const err32 = {instancePath:instancePath+"/split/" + key6.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/split/additionalProperties/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
if(data15 < 0 || isNaN(data15)){
const err33 = {instancePath:instancePath+"/split/" + key6.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/split/additionalProperties/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
}
}
else {
const err34 = {instancePath:instancePath+"/split",schemaPath:"#/properties/split/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
if(data.sticky !== undefined){
let data16 = data.sticky;
if(data16 && typeof data16 == "object" && !Array.isArray(data16)){
if(Object.keys(data16).length > 1){
const err35 = {instancePath:instancePath+"/sticky",schemaPath:"#/properties/sticky/maxProperties",keyword:"maxProperties",params:{limit: 1},message:"must NOT have more than 1 properties"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
if(Object.keys(data16).length < 1){
const err36 = {instancePath:instancePath+"/sticky",schemaPath:"#/properties/sticky/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
for(const key7 in data16){
if(!((key7 === "header") || (key7 === "cookie"))){
const err37 = {instancePath:instancePath+"/sticky",schemaPath:"#/properties/sticky/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key7},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
if(data16.header !== undefined){
let data17 = data16.header;
if(typeof data17 === "string"){
if(func2(data17) < 1){
const err38 = {instancePath:instancePath+"/sticky/header",schemaPath:"#/properties/sticky/properties/header/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
else {
const err39 = {instancePath:instancePath+"/sticky/header",schemaPath:"#/properties/sticky/properties/header/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
if(data16.cookie !== undefined){
let data18 = data16.cookie;
if(typeof data18 === "string"){
if(func2(data18) < 1){
const err40 = {instancePath:instancePath+"/sticky/cookie",schemaPath:"#/properties/sticky/properties/cookie/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
}
else {
const err41 = {instancePath:instancePath+"/sticky/cookie",schemaPath:"#/properties/sticky/properties/cookie/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
}
}
else {
const err42 = {instancePath:instancePath+"/sticky",schemaPath:"#/properties/sticky/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
if(data.timeout !== undefined){
let data19 = data.timeout;
if(typeof data19 === "string"){
if(!pattern1.test(data19)){
const err43 = {instancePath:instancePath+"/timeout",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
else {
const err44 = {instancePath:instancePath+"/timeout",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
}
}
else {
const err45 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
validate14.errors = vErrors;
return errors === 0;
}


function validate11(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(func3.call(schema15.properties, key0))){
const err0 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
}
if(data.namespace !== undefined){
let data0 = data.namespace;
if(typeof data0 === "string"){
if(!pattern4.test(data0)){
const err1 = {instancePath:instancePath+"/namespace",schemaPath:"#/properties/namespace/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},message:"must match pattern \""+"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"+"\""};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
else {
const err2 = {instancePath:instancePath+"/namespace",schemaPath:"#/properties/namespace/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
if(data.serviceAccount !== undefined){
let data1 = data.serviceAccount;
if(typeof data1 === "string"){
if(func2(data1) > 253){
const err3 = {instancePath:instancePath+"/serviceAccount",schemaPath:"#/properties/serviceAccount/maxLength",keyword:"maxLength",params:{limit: 253},message:"must NOT have more than 253 characters"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
if(!pattern6.test(data1)){
const err4 = {instancePath:instancePath+"/serviceAccount",schemaPath:"#/properties/serviceAccount/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},message:"must match pattern \""+"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"+"\""};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
else {
const err5 = {instancePath:instancePath+"/serviceAccount",schemaPath:"#/properties/serviceAccount/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.port !== undefined){
let data2 = data.port;
if(!((typeof data2 == "number") && (!(data2 % 1) && !isNaN(data2)))){
const err6 = {instancePath:instancePath+"/port",schemaPath:"#/definitions/port/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
if(typeof data2 == "number"){
if(data2 > 65535 || isNaN(data2)){
const err7 = {instancePath:instancePath+"/port",schemaPath:"#/definitions/port/maximum",keyword:"maximum",params:{comparison: "<=", limit: 65535},message:"must be <= 65535"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
if(data2 < 1 || isNaN(data2)){
const err8 = {instancePath:instancePath+"/port",schemaPath:"#/definitions/port/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
}
if(data.mtls !== undefined){
let data3 = data.mtls;
if(!(((data3 === "strict") || (data3 === "permissive")) || (data3 === "disable"))){
const err9 = {instancePath:instancePath+"/mtls",schemaPath:"#/definitions/mtlsMode/enum",keyword:"enum",params:{allowedValues: schema12.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data.versions !== undefined){
let data4 = data.versions;
if(data4 && typeof data4 == "object" && !Array.isArray(data4)){
if(Object.keys(data4).length < 1){
const err10 = {instancePath:instancePath+"/versions",schemaPath:"#/properties/versions/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
for(const key1 in data4){
const _errs13 = errors;
if(typeof key1 === "string"){
if(!pattern7.test(key1)){
const err11 = {instancePath:instancePath+"/versions",schemaPath:"#/properties/versions/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][-A-Za-z0-9_.]*$"},message:"must match pattern \""+"^[A-Za-z0-9][-A-Za-z0-9_.]*$"+"\"",propertyName:key1};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
var valid3 = _errs13 === errors;
if(!valid3){
const err12 = {instancePath:instancePath+"/versions",schemaPath:"#/properties/versions/propertyNames",keyword:"propertyNames",params:{propertyName: key1},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
for(const key2 in data4){
if(!(validate12(data4[key2], {instancePath:instancePath+"/versions/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data4,parentDataProperty:key2,rootData}))){
vErrors = vErrors === null ? validate12.errors : vErrors.concat(validate12.errors);
errors = vErrors.length;
}
}
}
else {
const err13 = {instancePath:instancePath+"/versions",schemaPath:"#/properties/versions/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data.timeout !== undefined){
let data6 = data.timeout;
if(typeof data6 === "string"){
if(!pattern1.test(data6)){
const err14 = {instancePath:instancePath+"/timeout",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
else {
const err15 = {instancePath:instancePath+"/timeout",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data.streamIdleTimeout !== undefined){
let data7 = data.streamIdleTimeout;
if(typeof data7 === "string"){
if(!pattern1.test(data7)){
const err16 = {instancePath:instancePath+"/streamIdleTimeout",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
else {
const err17 = {instancePath:instancePath+"/streamIdleTimeout",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data.retries !== undefined){
let data8 = data.retries;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
if(data8.attempts === undefined){
const err18 = {instancePath:instancePath+"/retries",schemaPath:"#/properties/retries/required",keyword:"required",params:{missingProperty: "attempts"},message:"must have required property '"+"attempts"+"'"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
for(const key3 in data8){
if(!(((key3 === "attempts") || (key3 === "on")) || (key3 === "perTryTimeout"))){
const err19 = {instancePath:instancePath+"/retries",schemaPath:"#/properties/retries/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
if(data8.attempts !== undefined){
let data9 = data8.attempts;
if(!((typeof data9 == "number") && (!(data9 % 1) && !isNaN(data9)))){
const err20 = {instancePath:instancePath+"/retries/attempts",schemaPath:"#/properties/retries/properties/attempts/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
if(typeof data9 == "number"){
if(data9 > 10 || isNaN(data9)){
const err21 = {instancePath:instancePath+"/retries/attempts",schemaPath:"#/properties/retries/properties/attempts/maximum",keyword:"maximum",params:{comparison: "<=", limit: 10},message:"must be <= 10"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
if(data9 < 0 || isNaN(data9)){
const err22 = {instancePath:instancePath+"/retries/attempts",schemaPath:"#/properties/retries/properties/attempts/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
}
if(data8.on !== undefined){
let data10 = data8.on;
if(Array.isArray(data10)){
const len0 = data10.length;
for(let i0=0; i0<len0; i0++){
let data11 = data10[i0];
const _errs30 = errors;
let valid10 = false;
const _errs31 = errors;
if(!((((data11 === "connect-failure") || (data11 === "reset")) || (data11 === "5xx")) || (data11 === "gateway-error"))){
const err23 = {instancePath:instancePath+"/retries/on/" + i0,schemaPath:"#/properties/retries/properties/on/items/anyOf/0/enum",keyword:"enum",params:{allowedValues: schema15.properties.retries.properties.on.items.anyOf[0].enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
var _valid0 = _errs31 === errors;
valid10 = valid10 || _valid0;
if(!valid10){
const _errs32 = errors;
if(!((typeof data11 == "number") && (!(data11 % 1) && !isNaN(data11)))){
const err24 = {instancePath:instancePath+"/retries/on/" + i0,schemaPath:"#/properties/retries/properties/on/items/anyOf/1/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
if(typeof data11 == "number"){
if(data11 > 599 || isNaN(data11)){
const err25 = {instancePath:instancePath+"/retries/on/" + i0,schemaPath:"#/properties/retries/properties/on/items/anyOf/1/maximum",keyword:"maximum",params:{comparison: "<=", limit: 599},message:"must be <= 599"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
if(data11 < 400 || isNaN(data11)){
const err26 = {instancePath:instancePath+"/retries/on/" + i0,schemaPath:"#/properties/retries/properties/on/items/anyOf/1/minimum",keyword:"minimum",params:{comparison: ">=", limit: 400},message:"must be >= 400"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
var _valid0 = _errs32 === errors;
valid10 = valid10 || _valid0;
}
if(!valid10){
const err27 = {instancePath:instancePath+"/retries/on/" + i0,schemaPath:"#/properties/retries/properties/on/items/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
else {
errors = _errs30;
if(vErrors !== null){
if(_errs30){
vErrors.length = _errs30;
}
else {
vErrors = null;
}
}
}
}
}
else {
const err28 = {instancePath:instancePath+"/retries/on",schemaPath:"#/properties/retries/properties/on/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
if(data8.perTryTimeout !== undefined){
let data12 = data8.perTryTimeout;
if(typeof data12 === "string"){
if(!pattern1.test(data12)){
const err29 = {instancePath:instancePath+"/retries/perTryTimeout",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
else {
const err30 = {instancePath:instancePath+"/retries/perTryTimeout",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
}
else {
const err31 = {instancePath:instancePath+"/retries",schemaPath:"#/properties/retries/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
if(data.routes !== undefined){
let data13 = data.routes;
if(Array.isArray(data13)){
const len1 = data13.length;
for(let i1=0; i1<len1; i1++){
if(!(validate14(data13[i1], {instancePath:instancePath+"/routes/" + i1,parentData:data13,parentDataProperty:i1,rootData}))){
vErrors = vErrors === null ? validate14.errors : vErrors.concat(validate14.errors);
errors = vErrors.length;
}
}
}
else {
const err32 = {instancePath:instancePath+"/routes",schemaPath:"#/properties/routes/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
if(data.allowMode !== undefined){
let data15 = data.allowMode;
if(!((data15 === "enforce") || (data15 === "audit"))){
const err33 = {instancePath:instancePath+"/allowMode",schemaPath:"#/properties/allowMode/enum",keyword:"enum",params:{allowedValues: schema15.properties.allowMode.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
if(data.allow !== undefined){
let data16 = data.allow;
if(Array.isArray(data16)){
const len2 = data16.length;
for(let i2=0; i2<len2; i2++){
let data17 = data16[i2];
if(data17 && typeof data17 == "object" && !Array.isArray(data17)){
if(data17.from === undefined){
const err34 = {instancePath:instancePath+"/allow/" + i2,schemaPath:"#/definitions/allowRule/required",keyword:"required",params:{missingProperty: "from"},message:"must have required property '"+"from"+"'"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
for(const key4 in data17){
if(!(((key4 === "from") || (key4 === "methods")) || (key4 === "paths"))){
const err35 = {instancePath:instancePath+"/allow/" + i2,schemaPath:"#/definitions/allowRule/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key4},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
if(data17.from !== undefined){
let data18 = data17.from;
if(Array.isArray(data18)){
if(data18.length < 1){
const err36 = {instancePath:instancePath+"/allow/" + i2+"/from",schemaPath:"#/definitions/allowRule/properties/from/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
const len3 = data18.length;
for(let i3=0; i3<len3; i3++){
let data19 = data18[i3];
if(typeof data19 === "string"){
if(func2(data19) < 1){
const err37 = {instancePath:instancePath+"/allow/" + i2+"/from/" + i3,schemaPath:"#/definitions/allowRule/properties/from/items/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
else {
const err38 = {instancePath:instancePath+"/allow/" + i2+"/from/" + i3,schemaPath:"#/definitions/allowRule/properties/from/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
}
}
else {
const err39 = {instancePath:instancePath+"/allow/" + i2+"/from",schemaPath:"#/definitions/allowRule/properties/from/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
if(data17.methods !== undefined){
let data20 = data17.methods;
if(Array.isArray(data20)){
if(data20.length < 1){
const err40 = {instancePath:instancePath+"/allow/" + i2+"/methods",schemaPath:"#/definitions/allowRule/properties/methods/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
const len4 = data20.length;
for(let i4=0; i4<len4; i4++){
let data21 = data20[i4];
if(typeof data21 === "string"){
if(!pattern13.test(data21)){
const err41 = {instancePath:instancePath+"/allow/" + i2+"/methods/" + i4,schemaPath:"#/definitions/allowRule/properties/methods/items/pattern",keyword:"pattern",params:{pattern: "^[A-Z]+$"},message:"must match pattern \""+"^[A-Z]+$"+"\""};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
}
else {
const err42 = {instancePath:instancePath+"/allow/" + i2+"/methods/" + i4,schemaPath:"#/definitions/allowRule/properties/methods/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
}
else {
const err43 = {instancePath:instancePath+"/allow/" + i2+"/methods",schemaPath:"#/definitions/allowRule/properties/methods/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
if(data17.paths !== undefined){
let data22 = data17.paths;
if(Array.isArray(data22)){
if(data22.length < 1){
const err44 = {instancePath:instancePath+"/allow/" + i2+"/paths",schemaPath:"#/definitions/allowRule/properties/paths/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
const len5 = data22.length;
for(let i5=0; i5<len5; i5++){
let data23 = data22[i5];
if(typeof data23 === "string"){
if(!pattern17.test(data23)){
const err45 = {instancePath:instancePath+"/allow/" + i2+"/paths/" + i5,schemaPath:"#/definitions/allowRule/properties/paths/items/pattern",keyword:"pattern",params:{pattern: "^/"},message:"must match pattern \""+"^/"+"\""};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
else {
const err46 = {instancePath:instancePath+"/allow/" + i2+"/paths/" + i5,schemaPath:"#/definitions/allowRule/properties/paths/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
}
}
else {
const err47 = {instancePath:instancePath+"/allow/" + i2+"/paths",schemaPath:"#/definitions/allowRule/properties/paths/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
}
}
else {
const err48 = {instancePath:instancePath+"/allow/" + i2,schemaPath:"#/definitions/allowRule/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
}
}
else {
const err49 = {instancePath:instancePath+"/allow",schemaPath:"#/properties/allow/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err49];
}
else {
vErrors.push(err49);
}
errors++;
}
}
}
else {
const err50 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
validate11.errors = vErrors;
return errors === 0;
}


function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
/*# sourceURL="https://meshlet.dev/schemas/mesh.schema.json" */;
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(Object.keys(data).length < 1){
const err0 = {instancePath,schemaPath:"#/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
for(const key0 in data){
if(!(((((((key0 === "trustDomain") || (key0 === "mtls")) || (key0 === "outboundTrafficPolicy")) || (key0 === "upstreamIdleTimeout")) || (key0 === "streamIdleTimeout")) || (key0 === "tracing")) || (key0 === "services"))){
const err1 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.trustDomain !== undefined){
let data0 = data.trustDomain;
if(typeof data0 === "string"){
if(func2(data0) < 1){
const err2 = {instancePath:instancePath+"/trustDomain",schemaPath:"#/properties/trustDomain/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(!pattern0.test(data0)){
const err3 = {instancePath:instancePath+"/trustDomain",schemaPath:"#/properties/trustDomain/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9.\\-_]+$"},message:"must match pattern \""+"^[a-z0-9.\\-_]+$"+"\""};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
else {
const err4 = {instancePath:instancePath+"/trustDomain",schemaPath:"#/properties/trustDomain/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.mtls !== undefined){
let data1 = data.mtls;
if(!(((data1 === "strict") || (data1 === "permissive")) || (data1 === "disable"))){
const err5 = {instancePath:instancePath+"/mtls",schemaPath:"#/definitions/mtlsMode/enum",keyword:"enum",params:{allowedValues: schema12.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.outboundTrafficPolicy !== undefined){
let data2 = data.outboundTrafficPolicy;
if(!((data2 === "allowAny") || (data2 === "registryOnly"))){
const err6 = {instancePath:instancePath+"/outboundTrafficPolicy",schemaPath:"#/properties/outboundTrafficPolicy/enum",keyword:"enum",params:{allowedValues: schema11.properties.outboundTrafficPolicy.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
if(data.upstreamIdleTimeout !== undefined){
let data3 = data.upstreamIdleTimeout;
if(typeof data3 === "string"){
if(!pattern1.test(data3)){
const err7 = {instancePath:instancePath+"/upstreamIdleTimeout",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
else {
const err8 = {instancePath:instancePath+"/upstreamIdleTimeout",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data.streamIdleTimeout !== undefined){
let data4 = data.streamIdleTimeout;
if(typeof data4 === "string"){
if(!pattern1.test(data4)){
const err9 = {instancePath:instancePath+"/streamIdleTimeout",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
else {
const err10 = {instancePath:instancePath+"/streamIdleTimeout",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.tracing !== undefined){
let data5 = data.tracing;
if(data5 && typeof data5 == "object" && !Array.isArray(data5)){
for(const key1 in data5){
if(!((key1 === "sampling") || (key1 === "otlpEndpoint"))){
const err11 = {instancePath:instancePath+"/tracing",schemaPath:"#/properties/tracing/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data5.sampling !== undefined){
let data6 = data5.sampling;
if(typeof data6 == "number"){
if(data6 > 1 || isNaN(data6)){
const err12 = {instancePath:instancePath+"/tracing/sampling",schemaPath:"#/properties/tracing/properties/sampling/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1},message:"must be <= 1"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
if(data6 < 0 || isNaN(data6)){
const err13 = {instancePath:instancePath+"/tracing/sampling",schemaPath:"#/properties/tracing/properties/sampling/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
else {
const err14 = {instancePath:instancePath+"/tracing/sampling",schemaPath:"#/properties/tracing/properties/sampling/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data5.otlpEndpoint !== undefined){
let data7 = data5.otlpEndpoint;
if(typeof data7 === "string"){
if(!pattern3.test(data7)){
const err15 = {instancePath:instancePath+"/tracing/otlpEndpoint",schemaPath:"#/properties/tracing/properties/otlpEndpoint/pattern",keyword:"pattern",params:{pattern: "^https?://[^/?#]"},message:"must match pattern \""+"^https?://[^/?#]"+"\""};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
else {
const err16 = {instancePath:instancePath+"/tracing/otlpEndpoint",schemaPath:"#/properties/tracing/properties/otlpEndpoint/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
}
else {
const err17 = {instancePath:instancePath+"/tracing",schemaPath:"#/properties/tracing/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data.services !== undefined){
let data8 = data.services;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
for(const key2 in data8){
const _errs22 = errors;
if(typeof key2 === "string"){
if(!pattern4.test(key2)){
const err18 = {instancePath:instancePath+"/services",schemaPath:"#/properties/services/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},message:"must match pattern \""+"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"+"\"",propertyName:key2};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
var valid5 = _errs22 === errors;
if(!valid5){
const err19 = {instancePath:instancePath+"/services",schemaPath:"#/properties/services/propertyNames",keyword:"propertyNames",params:{propertyName: key2},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
for(const key3 in data8){
if(!(validate11(data8[key3], {instancePath:instancePath+"/services/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data8,parentDataProperty:key3,rootData}))){
vErrors = vErrors === null ? validate11.errors : vErrors.concat(validate11.errors);
errors = vErrors.length;
}
}
}
else {
const err20 = {instancePath:instancePath+"/services",schemaPath:"#/properties/services/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
}
else {
const err21 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
validate10.errors = vErrors;
return errors === 0;
}

// The schema itself, to say what a refused value should look like and suggest field names.
export const SCHEMA = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://meshlet.dev/schemas/mesh.schema.json","title":"meshlet mesh.yaml","description":"The mesh ConfigMap (key mesh.yaml) read by every meshlet sidecar.","type":"object","minProperties":1,"additionalProperties":false,"properties":{"trustDomain":{"type":"string","minLength":1,"pattern":"^[a-z0-9.\\-_]+$","default":"cluster.local","description":"SPIFFE trust domain."},"mtls":{"$ref":"#/definitions/mtlsMode","default":"permissive"},"outboundTrafficPolicy":{"enum":["allowAny","registryOnly"],"default":"allowAny","description":"What to do with calls to hosts not listed under services."},"upstreamIdleTimeout":{"$ref":"#/definitions/duration","description":"Close pooled upstream connections idle this long (default 4s), before a typical upstream idle timeout."},"streamIdleTimeout":{"$ref":"#/definitions/duration","description":"End a request whose body (either direction) sends nothing for this long (default 5m, as Envoy's stream_idle_timeout); 0s disables."},"tracing":{"type":"object","additionalProperties":false,"properties":{"sampling":{"type":"number","minimum":0,"maximum":1,"description":"Parent-based ratio sampling for new traces."},"otlpEndpoint":{"type":"string","pattern":"^https?://[^/?#]","description":"OTLP/HTTP traces endpoint, e.g. http://jaeger-collector:4318/v1/traces."}}},"services":{"type":"object","propertyNames":{"pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},"additionalProperties":{"$ref":"#/definitions/service"}}},"definitions":{"mtlsMode":{"enum":["strict","permissive","disable"]},"duration":{"type":"string","pattern":"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$","description":"A duration such as 250ms, 5s, 1m30s."},"host":{"type":"string","minLength":1,"maxLength":255,"pattern":"^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$","description":"A DNS name or an IP address (IPv6 with or without brackets); never a port, scheme or path: the port goes in port:."},"port":{"type":"integer","minimum":1,"maximum":65535},"stringMatch":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"}}},"headerMatch":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"},"present":{"type":"boolean"}}},"version":{"type":"object","additionalProperties":false,"required":["host"],"properties":{"host":{"$ref":"#/definitions/host"},"port":{"$ref":"#/definitions/port"}}},"route":{"type":"object","additionalProperties":false,"required":["split"],"properties":{"name":{"type":"string"},"match":{"type":"object","additionalProperties":false,"properties":{"headers":{"type":"object","propertyNames":{"pattern":"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},"additionalProperties":{"$ref":"#/definitions/headerMatch"}},"path":{"$ref":"#/definitions/stringMatch"},"method":{"oneOf":[{"type":"string","pattern":"^[A-Z]+$"},{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1}]}}},"split":{"type":"object","minProperties":1,"additionalProperties":{"type":"integer","minimum":0,"maximum":1000000}},"sticky":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"header":{"type":"string","minLength":1},"cookie":{"type":"string","minLength":1}}},"timeout":{"$ref":"#/definitions/duration"}}},"allowRule":{"type":"object","additionalProperties":false,"required":["from"],"properties":{"from":{"type":"array","items":{"type":"string","minLength":1},"minItems":1},"methods":{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1},"paths":{"type":"array","items":{"type":"string","pattern":"^/"},"minItems":1}}},"service":{"type":"object","additionalProperties":false,"properties":{"namespace":{"type":"string","pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},"serviceAccount":{"type":"string","maxLength":253,"pattern":"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$","description":"A Kubernetes service account name; it becomes part of the SPIFFE ID (a URI)."},"port":{"$ref":"#/definitions/port"},"mtls":{"$ref":"#/definitions/mtlsMode"},"versions":{"type":"object","minProperties":1,"propertyNames":{"pattern":"^[A-Za-z0-9][-A-Za-z0-9_.]*$"},"additionalProperties":{"$ref":"#/definitions/version"}},"timeout":{"$ref":"#/definitions/duration"},"streamIdleTimeout":{"$ref":"#/definitions/duration","description":"Overrides the mesh-wide streamIdleTimeout for calls to this service."},"retries":{"type":"object","additionalProperties":false,"required":["attempts"],"properties":{"attempts":{"type":"integer","minimum":0,"maximum":10},"on":{"type":"array","items":{"anyOf":[{"enum":["connect-failure","reset","5xx","gateway-error"]},{"type":"integer","minimum":400,"maximum":599}]}},"perTryTimeout":{"$ref":"#/definitions/duration"}}},"routes":{"type":"array","items":{"$ref":"#/definitions/route"}},"allowMode":{"enum":["enforce","audit"]},"allow":{"type":"array","items":{"$ref":"#/definitions/allowRule"}}}}}};
