// @ts-nocheck
// Generated from config/mesh.schema.json by scripts/gen-schema-validator.ts: do not edit.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);

export const validate = validate10;
export default validate10;
const schema11 = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://meshlet.dev/schemas/mesh.schema.json","title":"meshlet mesh.yaml","description":"The mesh ConfigMap (key mesh.yaml) read by every meshlet sidecar.","type":"object","minProperties":1,"additionalProperties":false,"properties":{"trustDomain":{"type":"string","minLength":1,"pattern":"^[a-z0-9.\\-_]+$","default":"cluster.local","description":"SPIFFE trust domain."},"mtls":{"$ref":"#/definitions/mtlsMode","default":"permissive"},"outboundTrafficPolicy":{"enum":["allowAny","registryOnly"],"default":"allowAny","description":"What to do with calls to hosts not listed under services."},"upstreamIdleTimeout":{"$ref":"#/definitions/duration","description":"Close pooled upstream connections idle this long (default 4s), before a typical upstream idle timeout."},"streamIdleTimeout":{"$ref":"#/definitions/duration","description":"End a request whose body (either direction) sends nothing for this long (default 5m, as Envoy's stream_idle_timeout); 0s disables."},"accessLog":{"type":"object","additionalProperties":false,"description":"The access log: one line per request on stdout (see docs/observability.md). Present means on unless enabled: false; MESHLET_ACCESS_LOG=1 turns it on whatever this says.","properties":{"enabled":{"type":"boolean","default":true},"format":{"enum":["json","text"],"default":"json","description":"json: one JSON object per line; text: Envoy-like fixed fields."}}},"tracing":{"type":"object","additionalProperties":false,"properties":{"sampling":{"type":"number","minimum":0,"maximum":1,"description":"Parent-based ratio sampling for new traces."},"otlpEndpoint":{"type":"string","pattern":"^https?://[^/?#]","description":"OTLP/HTTP traces endpoint, e.g. http://jaeger-collector:4318/v1/traces."}}},"services":{"type":"object","propertyNames":{"pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},"additionalProperties":{"$ref":"#/definitions/service"}}},"definitions":{"mtlsMode":{"enum":["strict","permissive","disable"]},"duration":{"type":"string","pattern":"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$","description":"A duration such as 250ms, 5s, 1m30s."},"host":{"type":"string","minLength":1,"maxLength":255,"pattern":"^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$","description":"A DNS name or an IP address (IPv6 with or without brackets); never a port, scheme or path: the port goes in port:."},"port":{"type":"integer","minimum":1,"maximum":65535},"percent":{"type":"number","minimum":0,"maximum":100,"description":"A share of requests in percent, fractions allowed (0.5 is one request in 200)."},"headerName":{"type":"string","pattern":"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},"faultPolicy":{"type":"object","additionalProperties":false,"minProperties":1,"description":"Inject delays and aborts on the caller's side (Istio fault injection); flags DI and FI.","properties":{"delay":{"type":"object","additionalProperties":false,"required":["percent","duration"],"properties":{"percent":{"$ref":"#/definitions/percent"},"duration":{"$ref":"#/definitions/duration"}}},"abort":{"type":"object","additionalProperties":false,"required":["percent"],"oneOf":[{"required":["status"]},{"required":["grpcStatus"]}],"properties":{"percent":{"$ref":"#/definitions/percent"},"status":{"type":"integer","minimum":400,"maximum":599},"grpcStatus":{"enum":["cancelled","unknown","invalid-argument","deadline-exceeded","not-found","already-exists","permission-denied","resource-exhausted","failed-precondition","aborted","out-of-range","unimplemented","internal","unavailable","data-loss","unauthenticated"]}}}}},"mirrorPolicy":{"type":"object","additionalProperties":false,"required":["version"],"description":"Copy a share of requests to another version of the service; its responses are discarded.","properties":{"version":{"type":"string","minLength":1},"percent":{"$ref":"#/definitions/percent","default":100}}},"headerRewrite":{"type":"object","additionalProperties":false,"properties":{"set":{"type":"object","propertyNames":{"$ref":"#/definitions/headerName"},"additionalProperties":{"type":"string"}},"add":{"type":"object","propertyNames":{"$ref":"#/definitions/headerName"},"additionalProperties":{"type":"string"}},"remove":{"type":"array","items":{"$ref":"#/definitions/headerName"},"minItems":1}}},"headersPolicy":{"type":"object","additionalProperties":false,"minProperties":1,"properties":{"request":{"$ref":"#/definitions/headerRewrite"},"response":{"$ref":"#/definitions/headerRewrite"}}},"redirectPolicy":{"type":"object","additionalProperties":false,"description":"Answer with a redirect from the caller's sidecar; parts left out are the request's own.","properties":{"scheme":{"enum":["http","https"]},"host":{"$ref":"#/definitions/host"},"port":{"$ref":"#/definitions/port"},"path":{"type":"string","pattern":"^/"},"status":{"enum":[301,302,303,307,308],"default":302}}},"rewritePolicy":{"type":"object","additionalProperties":false,"minProperties":1,"description":"Rewrite before forwarding: the matched path prefix (the route needs match.path.prefix) and the Host.","properties":{"pathPrefix":{"type":"string","pattern":"^/"},"host":{"$ref":"#/definitions/host"}}},"queryMatch":{"type":"object","minProperties":1,"propertyNames":{"minLength":1},"additionalProperties":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"regex":{"type":"string"}}}},"bucket":{"type":"object","additionalProperties":false,"required":["requestsPerSecond"],"properties":{"requestsPerSecond":{"type":"number","exclusiveMinimum":0,"maximum":1000000},"burst":{"type":"integer","minimum":1,"maximum":1000000}}},"rateLimit":{"type":"object","additionalProperties":false,"required":["requestsPerSecond"],"description":"Enforced by the service's own sidecar: 429 RL (gRPC RESOURCE_EXHAUSTED) with retry-after.","properties":{"requestsPerSecond":{"type":"number","exclusiveMinimum":0,"maximum":1000000},"burst":{"type":"integer","minimum":1,"maximum":1000000},"perCaller":{"type":"object","propertyNames":{"minLength":1},"additionalProperties":{"oneOf":[{"type":"number","exclusiveMinimum":0,"maximum":1000000},{"$ref":"#/definitions/bucket"}]}}}},"stringMatch":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"}}},"headerMatch":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"},"present":{"type":"boolean"}}},"version":{"type":"object","additionalProperties":false,"description":"Needs host (looked up in DNS) or endpoints (a static list).","properties":{"host":{"$ref":"#/definitions/host"},"port":{"$ref":"#/definitions/port"},"endpoints":{"type":"array","minItems":1,"maxItems":1024,"items":{"type":"string","minLength":1,"maxLength":60},"description":"A static list of IP:port (or IP, with the version's port) used instead of looking up host."}}},"route":{"type":"object","additionalProperties":false,"properties":{"name":{"type":"string"},"match":{"type":"object","additionalProperties":false,"properties":{"headers":{"type":"object","propertyNames":{"pattern":"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},"additionalProperties":{"$ref":"#/definitions/headerMatch"}},"path":{"$ref":"#/definitions/stringMatch"},"query":{"$ref":"#/definitions/queryMatch"},"grpc":{"type":"object","additionalProperties":false,"required":["service"],"description":"A gRPC call: the fully qualified service (pkg.Svc) and optionally its method; cannot be combined with path.","properties":{"service":{"type":"string","pattern":"^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$"},"method":{"type":"string","pattern":"^[A-Za-z_][A-Za-z0-9_]*$"}}},"method":{"oneOf":[{"type":"string","pattern":"^[A-Z]+$"},{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1}]}}},"split":{"type":"object","minProperties":1,"additionalProperties":{"type":"integer","minimum":0,"maximum":1000000}},"sticky":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"header":{"type":"string","minLength":1},"cookie":{"type":"string","minLength":1}}},"timeout":{"$ref":"#/definitions/duration"},"fault":{"$ref":"#/definitions/faultPolicy"},"mirror":{"$ref":"#/definitions/mirrorPolicy"},"headers":{"$ref":"#/definitions/headersPolicy"},"redirect":{"$ref":"#/definitions/redirectPolicy"},"rewrite":{"$ref":"#/definitions/rewritePolicy"},"guard":{"type":"object","additionalProperties":false,"required":["baseline"],"description":"Canary guard (needs maxErrorRate or maxLatencyP99): a non-baseline version that breaches a limit on this sidecar's traffic loses its share to the baseline until the split changes.","properties":{"baseline":{"type":"string","minLength":1},"maxErrorRate":{"type":"number","minimum":0,"maximum":1},"maxLatencyP99":{"$ref":"#/definitions/duration"},"window":{"$ref":"#/definitions/duration"},"minRequests":{"type":"integer","minimum":1,"maximum":1000000}}}}},"allowRule":{"type":"object","additionalProperties":false,"required":["from"],"properties":{"from":{"type":"array","items":{"type":"string","minLength":1},"minItems":1},"methods":{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1},"paths":{"type":"array","items":{"type":"string","pattern":"^/"},"minItems":1}}},"service":{"type":"object","additionalProperties":false,"properties":{"namespace":{"type":"string","pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},"serviceAccount":{"type":"string","maxLength":253,"pattern":"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$","description":"A Kubernetes service account name; it becomes part of the SPIFFE ID (a URI)."},"port":{"$ref":"#/definitions/port"},"mtls":{"$ref":"#/definitions/mtlsMode"},"protocol":{"enum":["http","http2","grpc"],"description":"How the service's app speaks: HTTP/1.1 (default), HTTP/2, or gRPC (HTTP/2 with gRPC-shaped errors, metrics and spans)."},"versions":{"type":"object","minProperties":1,"propertyNames":{"pattern":"^[A-Za-z0-9][-A-Za-z0-9_.]*$"},"additionalProperties":{"$ref":"#/definitions/version"}},"timeout":{"$ref":"#/definitions/duration"},"streamIdleTimeout":{"$ref":"#/definitions/duration","description":"Overrides the mesh-wide streamIdleTimeout for calls to this service."},"retries":{"type":"object","additionalProperties":false,"required":["attempts"],"properties":{"attempts":{"type":"integer","minimum":0,"maximum":10},"on":{"type":"array","items":{"anyOf":[{"enum":["connect-failure","reset","5xx","gateway-error","cancelled","deadline-exceeded","internal","resource-exhausted","unavailable"]},{"type":"integer","minimum":400,"maximum":599}]}},"perTryTimeout":{"$ref":"#/definitions/duration"}}},"routes":{"type":"array","items":{"$ref":"#/definitions/route"}},"loadBalancer":{"enum":["peak-ewma","round-robin","least-request"],"description":"How an endpoint is chosen per request; default peak-ewma (power of two choices over peak-EWMA latency)."},"outlierDetection":{"description":"Ejects an endpoint after consecutive gateway failures (on by default, true: the defaults); false turns it off.","type":["object","boolean"],"additionalProperties":false,"properties":{"consecutiveGatewayFailures":{"type":"integer","minimum":1,"maximum":1000},"baseEjectionTime":{"$ref":"#/definitions/duration"},"maxEjectionTime":{"$ref":"#/definitions/duration"},"maxEjectionPercent":{"type":"integer","minimum":0,"maximum":100}}},"circuitBreaker":{"type":"object","additionalProperties":false,"description":"Per version: past a limit a request is refused at once with 503 UO.","properties":{"maxConnections":{"type":"integer","minimum":1,"maximum":1000000},"maxPendingRequests":{"type":"integer","minimum":0,"maximum":1000000},"maxRequests":{"type":"integer","minimum":1,"maximum":1000000}}},"retryBudget":{"type":"object","additionalProperties":false,"description":"Retries may add at most ratio x requests of the last 10 s plus minRetriesPerSecond.","properties":{"ratio":{"type":"number","minimum":0,"maximum":100},"minRetriesPerSecond":{"type":"integer","minimum":0,"maximum":1000000}}},"allowMode":{"enum":["enforce","audit"]},"allow":{"type":"array","items":{"$ref":"#/definitions/allowRule"}},"fault":{"$ref":"#/definitions/faultPolicy"},"mirror":{"$ref":"#/definitions/mirrorPolicy"},"headers":{"$ref":"#/definitions/headersPolicy"},"redirect":{"$ref":"#/definitions/redirectPolicy"},"rewrite":{"$ref":"#/definitions/rewritePolicy"},"rateLimit":{"$ref":"#/definitions/rateLimit"}}}}};
const schema12 = {"enum":["strict","permissive","disable"]};
const schema13 = {"type":"string","pattern":"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$","description":"A duration such as 250ms, 5s, 1m30s."};
const func2 = require("ajv/dist/runtime/ucs2length").default;
const pattern0 = new RegExp("^[a-z0-9.\\-_]+$", "u");
const pattern1 = new RegExp("^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$", "u");
const pattern3 = new RegExp("^https?://[^/?#]", "u");
const pattern4 = new RegExp("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "u");
const schema15 = {"type":"object","additionalProperties":false,"properties":{"namespace":{"type":"string","pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},"serviceAccount":{"type":"string","maxLength":253,"pattern":"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$","description":"A Kubernetes service account name; it becomes part of the SPIFFE ID (a URI)."},"port":{"$ref":"#/definitions/port"},"mtls":{"$ref":"#/definitions/mtlsMode"},"protocol":{"enum":["http","http2","grpc"],"description":"How the service's app speaks: HTTP/1.1 (default), HTTP/2, or gRPC (HTTP/2 with gRPC-shaped errors, metrics and spans)."},"versions":{"type":"object","minProperties":1,"propertyNames":{"pattern":"^[A-Za-z0-9][-A-Za-z0-9_.]*$"},"additionalProperties":{"$ref":"#/definitions/version"}},"timeout":{"$ref":"#/definitions/duration"},"streamIdleTimeout":{"$ref":"#/definitions/duration","description":"Overrides the mesh-wide streamIdleTimeout for calls to this service."},"retries":{"type":"object","additionalProperties":false,"required":["attempts"],"properties":{"attempts":{"type":"integer","minimum":0,"maximum":10},"on":{"type":"array","items":{"anyOf":[{"enum":["connect-failure","reset","5xx","gateway-error","cancelled","deadline-exceeded","internal","resource-exhausted","unavailable"]},{"type":"integer","minimum":400,"maximum":599}]}},"perTryTimeout":{"$ref":"#/definitions/duration"}}},"routes":{"type":"array","items":{"$ref":"#/definitions/route"}},"loadBalancer":{"enum":["peak-ewma","round-robin","least-request"],"description":"How an endpoint is chosen per request; default peak-ewma (power of two choices over peak-EWMA latency)."},"outlierDetection":{"description":"Ejects an endpoint after consecutive gateway failures (on by default, true: the defaults); false turns it off.","type":["object","boolean"],"additionalProperties":false,"properties":{"consecutiveGatewayFailures":{"type":"integer","minimum":1,"maximum":1000},"baseEjectionTime":{"$ref":"#/definitions/duration"},"maxEjectionTime":{"$ref":"#/definitions/duration"},"maxEjectionPercent":{"type":"integer","minimum":0,"maximum":100}}},"circuitBreaker":{"type":"object","additionalProperties":false,"description":"Per version: past a limit a request is refused at once with 503 UO.","properties":{"maxConnections":{"type":"integer","minimum":1,"maximum":1000000},"maxPendingRequests":{"type":"integer","minimum":0,"maximum":1000000},"maxRequests":{"type":"integer","minimum":1,"maximum":1000000}}},"retryBudget":{"type":"object","additionalProperties":false,"description":"Retries may add at most ratio x requests of the last 10 s plus minRetriesPerSecond.","properties":{"ratio":{"type":"number","minimum":0,"maximum":100},"minRetriesPerSecond":{"type":"integer","minimum":0,"maximum":1000000}}},"allowMode":{"enum":["enforce","audit"]},"allow":{"type":"array","items":{"$ref":"#/definitions/allowRule"}},"fault":{"$ref":"#/definitions/faultPolicy"},"mirror":{"$ref":"#/definitions/mirrorPolicy"},"headers":{"$ref":"#/definitions/headersPolicy"},"redirect":{"$ref":"#/definitions/redirectPolicy"},"rewrite":{"$ref":"#/definitions/rewritePolicy"},"rateLimit":{"$ref":"#/definitions/rateLimit"}}};
const schema16 = {"type":"integer","minimum":1,"maximum":65535};
const schema49 = {"type":"object","additionalProperties":false,"required":["from"],"properties":{"from":{"type":"array","items":{"type":"string","minLength":1},"minItems":1},"methods":{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1},"paths":{"type":"array","items":{"type":"string","pattern":"^/"},"minItems":1}}};
const func3 = Object.prototype.hasOwnProperty;
const pattern6 = new RegExp("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "u");
const pattern7 = new RegExp("^[A-Za-z0-9][-A-Za-z0-9_.]*$", "u");
const pattern15 = new RegExp("^[A-Z]+$", "u");
const pattern23 = new RegExp("^/", "u");
const schema18 = {"type":"object","additionalProperties":false,"description":"Needs host (looked up in DNS) or endpoints (a static list).","properties":{"host":{"$ref":"#/definitions/host"},"port":{"$ref":"#/definitions/port"},"endpoints":{"type":"array","minItems":1,"maxItems":1024,"items":{"type":"string","minLength":1,"maxLength":60},"description":"A static list of IP:port (or IP, with the version's port) used instead of looking up host."}}};
const schema19 = {"type":"string","minLength":1,"maxLength":255,"pattern":"^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$","description":"A DNS name or an IP address (IPv6 with or without brackets); never a port, scheme or path: the port goes in port:."};
const pattern8 = new RegExp("^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$", "u");

function validate12(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(((key0 === "host") || (key0 === "port")) || (key0 === "endpoints"))){
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
if(data.host !== undefined){
let data0 = data.host;
if(typeof data0 === "string"){
if(func2(data0) > 255){
const err1 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/maxLength",keyword:"maxLength",params:{limit: 255},message:"must NOT have more than 255 characters"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(func2(data0) < 1){
const err2 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(!pattern8.test(data0)){
const err3 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/pattern",keyword:"pattern",params:{pattern: "^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$"},message:"must match pattern \""+"^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$"+"\""};
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
const err4 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.port !== undefined){
let data1 = data.port;
if(!((typeof data1 == "number") && (!(data1 % 1) && !isNaN(data1)))){
const err5 = {instancePath:instancePath+"/port",schemaPath:"#/definitions/port/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
if(typeof data1 == "number"){
if(data1 > 65535 || isNaN(data1)){
const err6 = {instancePath:instancePath+"/port",schemaPath:"#/definitions/port/maximum",keyword:"maximum",params:{comparison: "<=", limit: 65535},message:"must be <= 65535"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
if(data1 < 1 || isNaN(data1)){
const err7 = {instancePath:instancePath+"/port",schemaPath:"#/definitions/port/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
}
if(data.endpoints !== undefined){
let data2 = data.endpoints;
if(Array.isArray(data2)){
if(data2.length > 1024){
const err8 = {instancePath:instancePath+"/endpoints",schemaPath:"#/properties/endpoints/maxItems",keyword:"maxItems",params:{limit: 1024},message:"must NOT have more than 1024 items"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
if(data2.length < 1){
const err9 = {instancePath:instancePath+"/endpoints",schemaPath:"#/properties/endpoints/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
const len0 = data2.length;
for(let i0=0; i0<len0; i0++){
let data3 = data2[i0];
if(typeof data3 === "string"){
if(func2(data3) > 60){
const err10 = {instancePath:instancePath+"/endpoints/" + i0,schemaPath:"#/properties/endpoints/items/maxLength",keyword:"maxLength",params:{limit: 60},message:"must NOT have more than 60 characters"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
if(func2(data3) < 1){
const err11 = {instancePath:instancePath+"/endpoints/" + i0,schemaPath:"#/properties/endpoints/items/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
else {
const err12 = {instancePath:instancePath+"/endpoints/" + i0,schemaPath:"#/properties/endpoints/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
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
const err13 = {instancePath:instancePath+"/endpoints",schemaPath:"#/properties/endpoints/type",keyword:"type",params:{type: "array"},message:"must be array"};
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
const err14 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
validate12.errors = vErrors;
return errors === 0;
}

const schema24 = {"type":"object","additionalProperties":false,"properties":{"name":{"type":"string"},"match":{"type":"object","additionalProperties":false,"properties":{"headers":{"type":"object","propertyNames":{"pattern":"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},"additionalProperties":{"$ref":"#/definitions/headerMatch"}},"path":{"$ref":"#/definitions/stringMatch"},"query":{"$ref":"#/definitions/queryMatch"},"grpc":{"type":"object","additionalProperties":false,"required":["service"],"description":"A gRPC call: the fully qualified service (pkg.Svc) and optionally its method; cannot be combined with path.","properties":{"service":{"type":"string","pattern":"^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$"},"method":{"type":"string","pattern":"^[A-Za-z_][A-Za-z0-9_]*$"}}},"method":{"oneOf":[{"type":"string","pattern":"^[A-Z]+$"},{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1}]}}},"split":{"type":"object","minProperties":1,"additionalProperties":{"type":"integer","minimum":0,"maximum":1000000}},"sticky":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"header":{"type":"string","minLength":1},"cookie":{"type":"string","minLength":1}}},"timeout":{"$ref":"#/definitions/duration"},"fault":{"$ref":"#/definitions/faultPolicy"},"mirror":{"$ref":"#/definitions/mirrorPolicy"},"headers":{"$ref":"#/definitions/headersPolicy"},"redirect":{"$ref":"#/definitions/redirectPolicy"},"rewrite":{"$ref":"#/definitions/rewritePolicy"},"guard":{"type":"object","additionalProperties":false,"required":["baseline"],"description":"Canary guard (needs maxErrorRate or maxLatencyP99): a non-baseline version that breaches a limit on this sidecar's traffic loses its share to the baseline until the split changes.","properties":{"baseline":{"type":"string","minLength":1},"maxErrorRate":{"type":"number","minimum":0,"maximum":1},"maxLatencyP99":{"$ref":"#/definitions/duration"},"window":{"$ref":"#/definitions/duration"},"minRequests":{"type":"integer","minimum":1,"maximum":1000000}}}}};
const schema25 = {"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"},"present":{"type":"boolean"}}};
const schema26 = {"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"}}};
const schema27 = {"type":"object","minProperties":1,"propertyNames":{"minLength":1},"additionalProperties":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"regex":{"type":"string"}}}};
const pattern12 = new RegExp("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", "u");
const pattern13 = new RegExp("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$", "u");
const pattern14 = new RegExp("^[A-Za-z_][A-Za-z0-9_]*$", "u");
const schema29 = {"type":"object","additionalProperties":false,"minProperties":1,"description":"Inject delays and aborts on the caller's side (Istio fault injection); flags DI and FI.","properties":{"delay":{"type":"object","additionalProperties":false,"required":["percent","duration"],"properties":{"percent":{"$ref":"#/definitions/percent"},"duration":{"$ref":"#/definitions/duration"}}},"abort":{"type":"object","additionalProperties":false,"required":["percent"],"oneOf":[{"required":["status"]},{"required":["grpcStatus"]}],"properties":{"percent":{"$ref":"#/definitions/percent"},"status":{"type":"integer","minimum":400,"maximum":599},"grpcStatus":{"enum":["cancelled","unknown","invalid-argument","deadline-exceeded","not-found","already-exists","permission-denied","resource-exhausted","failed-precondition","aborted","out-of-range","unimplemented","internal","unavailable","data-loss","unauthenticated"]}}}}};
const schema30 = {"type":"number","minimum":0,"maximum":100,"description":"A share of requests in percent, fractions allowed (0.5 is one request in 200)."};

function validate15(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
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
if(!((key0 === "delay") || (key0 === "abort"))){
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
if(data.delay !== undefined){
let data0 = data.delay;
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
if(data0.percent === undefined){
const err2 = {instancePath:instancePath+"/delay",schemaPath:"#/properties/delay/required",keyword:"required",params:{missingProperty: "percent"},message:"must have required property '"+"percent"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(data0.duration === undefined){
const err3 = {instancePath:instancePath+"/delay",schemaPath:"#/properties/delay/required",keyword:"required",params:{missingProperty: "duration"},message:"must have required property '"+"duration"+"'"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
for(const key1 in data0){
if(!((key1 === "percent") || (key1 === "duration"))){
const err4 = {instancePath:instancePath+"/delay",schemaPath:"#/properties/delay/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data0.percent !== undefined){
let data1 = data0.percent;
if(typeof data1 == "number"){
if(data1 > 100 || isNaN(data1)){
const err5 = {instancePath:instancePath+"/delay/percent",schemaPath:"#/definitions/percent/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100},message:"must be <= 100"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
if(data1 < 0 || isNaN(data1)){
const err6 = {instancePath:instancePath+"/delay/percent",schemaPath:"#/definitions/percent/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
else {
const err7 = {instancePath:instancePath+"/delay/percent",schemaPath:"#/definitions/percent/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data0.duration !== undefined){
let data2 = data0.duration;
if(typeof data2 === "string"){
if(!pattern1.test(data2)){
const err8 = {instancePath:instancePath+"/delay/duration",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
else {
const err9 = {instancePath:instancePath+"/delay/duration",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
}
else {
const err10 = {instancePath:instancePath+"/delay",schemaPath:"#/properties/delay/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.abort !== undefined){
let data3 = data.abort;
const _errs13 = errors;
let valid4 = false;
let passing0 = null;
const _errs14 = errors;
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(data3.status === undefined){
const err11 = {instancePath:instancePath+"/abort",schemaPath:"#/properties/abort/oneOf/0/required",keyword:"required",params:{missingProperty: "status"},message:"must have required property '"+"status"+"'"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
var _valid0 = _errs14 === errors;
if(_valid0){
valid4 = true;
passing0 = 0;
}
const _errs15 = errors;
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(data3.grpcStatus === undefined){
const err12 = {instancePath:instancePath+"/abort",schemaPath:"#/properties/abort/oneOf/1/required",keyword:"required",params:{missingProperty: "grpcStatus"},message:"must have required property '"+"grpcStatus"+"'"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
var _valid0 = _errs15 === errors;
if(_valid0 && valid4){
valid4 = false;
passing0 = [passing0, 1];
}
else {
if(_valid0){
valid4 = true;
passing0 = 1;
}
}
if(!valid4){
const err13 = {instancePath:instancePath+"/abort",schemaPath:"#/properties/abort/oneOf",keyword:"oneOf",params:{passingSchemas: passing0},message:"must match exactly one schema in oneOf"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
else {
errors = _errs13;
if(vErrors !== null){
if(_errs13){
vErrors.length = _errs13;
}
else {
vErrors = null;
}
}
}
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(data3.percent === undefined){
const err14 = {instancePath:instancePath+"/abort",schemaPath:"#/properties/abort/required",keyword:"required",params:{missingProperty: "percent"},message:"must have required property '"+"percent"+"'"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
for(const key2 in data3){
if(!(((key2 === "percent") || (key2 === "status")) || (key2 === "grpcStatus"))){
const err15 = {instancePath:instancePath+"/abort",schemaPath:"#/properties/abort/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key2},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data3.percent !== undefined){
let data4 = data3.percent;
if(typeof data4 == "number"){
if(data4 > 100 || isNaN(data4)){
const err16 = {instancePath:instancePath+"/abort/percent",schemaPath:"#/definitions/percent/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100},message:"must be <= 100"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
if(data4 < 0 || isNaN(data4)){
const err17 = {instancePath:instancePath+"/abort/percent",schemaPath:"#/definitions/percent/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
else {
const err18 = {instancePath:instancePath+"/abort/percent",schemaPath:"#/definitions/percent/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data3.status !== undefined){
let data5 = data3.status;
if(!((typeof data5 == "number") && (!(data5 % 1) && !isNaN(data5)))){
const err19 = {instancePath:instancePath+"/abort/status",schemaPath:"#/properties/abort/properties/status/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
if(typeof data5 == "number"){
if(data5 > 599 || isNaN(data5)){
const err20 = {instancePath:instancePath+"/abort/status",schemaPath:"#/properties/abort/properties/status/maximum",keyword:"maximum",params:{comparison: "<=", limit: 599},message:"must be <= 599"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
if(data5 < 400 || isNaN(data5)){
const err21 = {instancePath:instancePath+"/abort/status",schemaPath:"#/properties/abort/properties/status/minimum",keyword:"minimum",params:{comparison: ">=", limit: 400},message:"must be >= 400"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
}
if(data3.grpcStatus !== undefined){
let data6 = data3.grpcStatus;
if(!((((((((((((((((data6 === "cancelled") || (data6 === "unknown")) || (data6 === "invalid-argument")) || (data6 === "deadline-exceeded")) || (data6 === "not-found")) || (data6 === "already-exists")) || (data6 === "permission-denied")) || (data6 === "resource-exhausted")) || (data6 === "failed-precondition")) || (data6 === "aborted")) || (data6 === "out-of-range")) || (data6 === "unimplemented")) || (data6 === "internal")) || (data6 === "unavailable")) || (data6 === "data-loss")) || (data6 === "unauthenticated"))){
const err22 = {instancePath:instancePath+"/abort/grpcStatus",schemaPath:"#/properties/abort/properties/grpcStatus/enum",keyword:"enum",params:{allowedValues: schema29.properties.abort.properties.grpcStatus.enum},message:"must be equal to one of the allowed values"};
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
else {
const err23 = {instancePath:instancePath+"/abort",schemaPath:"#/properties/abort/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
}
else {
const err24 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
validate15.errors = vErrors;
return errors === 0;
}

const schema33 = {"type":"object","additionalProperties":false,"required":["version"],"description":"Copy a share of requests to another version of the service; its responses are discarded.","properties":{"version":{"type":"string","minLength":1},"percent":{"$ref":"#/definitions/percent","default":100}}};

function validate17(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.version === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "version"},message:"must have required property '"+"version"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
for(const key0 in data){
if(!((key0 === "version") || (key0 === "percent"))){
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
if(data.version !== undefined){
let data0 = data.version;
if(typeof data0 === "string"){
if(func2(data0) < 1){
const err2 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
else {
const err3 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.percent !== undefined){
let data1 = data.percent;
if(typeof data1 == "number"){
if(data1 > 100 || isNaN(data1)){
const err4 = {instancePath:instancePath+"/percent",schemaPath:"#/definitions/percent/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100},message:"must be <= 100"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
if(data1 < 0 || isNaN(data1)){
const err5 = {instancePath:instancePath+"/percent",schemaPath:"#/definitions/percent/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
else {
const err6 = {instancePath:instancePath+"/percent",schemaPath:"#/definitions/percent/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
}
else {
const err7 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
validate17.errors = vErrors;
return errors === 0;
}

const schema35 = {"type":"object","additionalProperties":false,"minProperties":1,"properties":{"request":{"$ref":"#/definitions/headerRewrite"},"response":{"$ref":"#/definitions/headerRewrite"}}};
const schema36 = {"type":"object","additionalProperties":false,"properties":{"set":{"type":"object","propertyNames":{"$ref":"#/definitions/headerName"},"additionalProperties":{"type":"string"}},"add":{"type":"object","propertyNames":{"$ref":"#/definitions/headerName"},"additionalProperties":{"type":"string"}},"remove":{"type":"array","items":{"$ref":"#/definitions/headerName"},"minItems":1}}};
const schema37 = {"type":"string","pattern":"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"};

function validate20(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(((key0 === "set") || (key0 === "add")) || (key0 === "remove"))){
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
if(data.set !== undefined){
let data0 = data.set;
if(data0 && typeof data0 == "object" && !Array.isArray(data0)){
for(const key1 in data0){
const _errs4 = errors;
if(typeof key1 === "string"){
if(!pattern12.test(key1)){
const err1 = {instancePath:instancePath+"/set",schemaPath:"#/definitions/headerName/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},message:"must match pattern \""+"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"+"\"",propertyName:key1};
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
const err2 = {instancePath:instancePath+"/set",schemaPath:"#/definitions/headerName/type",keyword:"type",params:{type: "string"},message:"must be string",propertyName:key1};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
var valid1 = _errs4 === errors;
if(!valid1){
const err3 = {instancePath:instancePath+"/set",schemaPath:"#/properties/set/propertyNames",keyword:"propertyNames",params:{propertyName: key1},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
for(const key2 in data0){
if(typeof data0[key2] !== "string"){
const err4 = {instancePath:instancePath+"/set/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/set/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
}
else {
const err5 = {instancePath:instancePath+"/set",schemaPath:"#/properties/set/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.add !== undefined){
let data2 = data.add;
if(data2 && typeof data2 == "object" && !Array.isArray(data2)){
for(const key3 in data2){
const _errs12 = errors;
if(typeof key3 === "string"){
if(!pattern12.test(key3)){
const err6 = {instancePath:instancePath+"/add",schemaPath:"#/definitions/headerName/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},message:"must match pattern \""+"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"+"\"",propertyName:key3};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
else {
const err7 = {instancePath:instancePath+"/add",schemaPath:"#/definitions/headerName/type",keyword:"type",params:{type: "string"},message:"must be string",propertyName:key3};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
var valid4 = _errs12 === errors;
if(!valid4){
const err8 = {instancePath:instancePath+"/add",schemaPath:"#/properties/add/propertyNames",keyword:"propertyNames",params:{propertyName: key3},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
for(const key4 in data2){
if(typeof data2[key4] !== "string"){
const err9 = {instancePath:instancePath+"/add/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/add/additionalProperties/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
}
else {
const err10 = {instancePath:instancePath+"/add",schemaPath:"#/properties/add/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.remove !== undefined){
let data4 = data.remove;
if(Array.isArray(data4)){
if(data4.length < 1){
const err11 = {instancePath:instancePath+"/remove",schemaPath:"#/properties/remove/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
const len0 = data4.length;
for(let i0=0; i0<len0; i0++){
let data5 = data4[i0];
if(typeof data5 === "string"){
if(!pattern12.test(data5)){
const err12 = {instancePath:instancePath+"/remove/" + i0,schemaPath:"#/definitions/headerName/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},message:"must match pattern \""+"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"+"\""};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
else {
const err13 = {instancePath:instancePath+"/remove/" + i0,schemaPath:"#/definitions/headerName/type",keyword:"type",params:{type: "string"},message:"must be string"};
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
const err14 = {instancePath:instancePath+"/remove",schemaPath:"#/properties/remove/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
}
else {
const err15 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
validate20.errors = vErrors;
return errors === 0;
}


function validate19(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
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
if(!((key0 === "request") || (key0 === "response"))){
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
if(data.request !== undefined){
if(!(validate20(data.request, {instancePath:instancePath+"/request",parentData:data,parentDataProperty:"request",rootData}))){
vErrors = vErrors === null ? validate20.errors : vErrors.concat(validate20.errors);
errors = vErrors.length;
}
}
if(data.response !== undefined){
if(!(validate20(data.response, {instancePath:instancePath+"/response",parentData:data,parentDataProperty:"response",rootData}))){
vErrors = vErrors === null ? validate20.errors : vErrors.concat(validate20.errors);
errors = vErrors.length;
}
}
}
else {
const err2 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
validate19.errors = vErrors;
return errors === 0;
}

const schema40 = {"type":"object","additionalProperties":false,"description":"Answer with a redirect from the caller's sidecar; parts left out are the request's own.","properties":{"scheme":{"enum":["http","https"]},"host":{"$ref":"#/definitions/host"},"port":{"$ref":"#/definitions/port"},"path":{"type":"string","pattern":"^/"},"status":{"enum":[301,302,303,307,308],"default":302}}};

function validate24(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(((((key0 === "scheme") || (key0 === "host")) || (key0 === "port")) || (key0 === "path")) || (key0 === "status"))){
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
if(data.scheme !== undefined){
let data0 = data.scheme;
if(!((data0 === "http") || (data0 === "https"))){
const err1 = {instancePath:instancePath+"/scheme",schemaPath:"#/properties/scheme/enum",keyword:"enum",params:{allowedValues: schema40.properties.scheme.enum},message:"must be equal to one of the allowed values"};
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
let data1 = data.host;
if(typeof data1 === "string"){
if(func2(data1) > 255){
const err2 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/maxLength",keyword:"maxLength",params:{limit: 255},message:"must NOT have more than 255 characters"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(func2(data1) < 1){
const err3 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
if(!pattern8.test(data1)){
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
if(data.path !== undefined){
let data3 = data.path;
if(typeof data3 === "string"){
if(!pattern23.test(data3)){
const err9 = {instancePath:instancePath+"/path",schemaPath:"#/properties/path/pattern",keyword:"pattern",params:{pattern: "^/"},message:"must match pattern \""+"^/"+"\""};
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
const err10 = {instancePath:instancePath+"/path",schemaPath:"#/properties/path/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.status !== undefined){
let data4 = data.status;
if(!(((((data4 === 301) || (data4 === 302)) || (data4 === 303)) || (data4 === 307)) || (data4 === 308))){
const err11 = {instancePath:instancePath+"/status",schemaPath:"#/properties/status/enum",keyword:"enum",params:{allowedValues: schema40.properties.status.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
}
else {
const err12 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
validate24.errors = vErrors;
return errors === 0;
}

const schema43 = {"type":"object","additionalProperties":false,"minProperties":1,"description":"Rewrite before forwarding: the matched path prefix (the route needs match.path.prefix) and the Host.","properties":{"pathPrefix":{"type":"string","pattern":"^/"},"host":{"$ref":"#/definitions/host"}}};

function validate26(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
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
if(!((key0 === "pathPrefix") || (key0 === "host"))){
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
if(data.pathPrefix !== undefined){
let data0 = data.pathPrefix;
if(typeof data0 === "string"){
if(!pattern23.test(data0)){
const err2 = {instancePath:instancePath+"/pathPrefix",schemaPath:"#/properties/pathPrefix/pattern",keyword:"pattern",params:{pattern: "^/"},message:"must match pattern \""+"^/"+"\""};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
}
else {
const err3 = {instancePath:instancePath+"/pathPrefix",schemaPath:"#/properties/pathPrefix/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.host !== undefined){
let data1 = data.host;
if(typeof data1 === "string"){
if(func2(data1) > 255){
const err4 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/maxLength",keyword:"maxLength",params:{limit: 255},message:"must NOT have more than 255 characters"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
if(func2(data1) < 1){
const err5 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
if(!pattern8.test(data1)){
const err6 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/pattern",keyword:"pattern",params:{pattern: "^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$"},message:"must match pattern \""+"^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$"+"\""};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
else {
const err7 = {instancePath:instancePath+"/host",schemaPath:"#/definitions/host/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
}
else {
const err8 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
validate26.errors = vErrors;
return errors === 0;
}


function validate14(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
for(const key0 in data){
if(!(func3.call(schema24.properties, key0))){
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
if(data.name !== undefined){
if(typeof data.name !== "string"){
const err1 = {instancePath:instancePath+"/name",schemaPath:"#/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
}
if(data.match !== undefined){
let data1 = data.match;
if(data1 && typeof data1 == "object" && !Array.isArray(data1)){
for(const key1 in data1){
if(!(((((key1 === "headers") || (key1 === "path")) || (key1 === "query")) || (key1 === "grpc")) || (key1 === "method"))){
const err2 = {instancePath:instancePath+"/match",schemaPath:"#/properties/match/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
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
const err3 = {instancePath:instancePath+"/match/headers",schemaPath:"#/properties/match/properties/headers/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},message:"must match pattern \""+"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"+"\"",propertyName:key2};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
var valid2 = _errs9 === errors;
if(!valid2){
const err4 = {instancePath:instancePath+"/match/headers",schemaPath:"#/properties/match/properties/headers/propertyNames",keyword:"propertyNames",params:{propertyName: key2},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
for(const key3 in data2){
let data3 = data2[key3];
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(Object.keys(data3).length > 1){
const err5 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/headerMatch/maxProperties",keyword:"maxProperties",params:{limit: 1},message:"must NOT have more than 1 properties"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
if(Object.keys(data3).length < 1){
const err6 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/headerMatch/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
for(const key4 in data3){
if(!((((key4 === "exact") || (key4 === "prefix")) || (key4 === "regex")) || (key4 === "present"))){
const err7 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/headerMatch/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key4},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data3.exact !== undefined){
if(typeof data3.exact !== "string"){
const err8 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1")+"/exact",schemaPath:"#/definitions/headerMatch/properties/exact/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data3.prefix !== undefined){
if(typeof data3.prefix !== "string"){
const err9 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1")+"/prefix",schemaPath:"#/definitions/headerMatch/properties/prefix/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
if(data3.regex !== undefined){
if(typeof data3.regex !== "string"){
const err10 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1")+"/regex",schemaPath:"#/definitions/headerMatch/properties/regex/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data3.present !== undefined){
if(typeof data3.present !== "boolean"){
const err11 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1")+"/present",schemaPath:"#/definitions/headerMatch/properties/present/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
}
else {
const err12 = {instancePath:instancePath+"/match/headers/" + key3.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/headerMatch/type",keyword:"type",params:{type: "object"},message:"must be object"};
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
const err13 = {instancePath:instancePath+"/match/headers",schemaPath:"#/properties/match/properties/headers/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data1.path !== undefined){
let data8 = data1.path;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
if(Object.keys(data8).length > 1){
const err14 = {instancePath:instancePath+"/match/path",schemaPath:"#/definitions/stringMatch/maxProperties",keyword:"maxProperties",params:{limit: 1},message:"must NOT have more than 1 properties"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
if(Object.keys(data8).length < 1){
const err15 = {instancePath:instancePath+"/match/path",schemaPath:"#/definitions/stringMatch/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
for(const key5 in data8){
if(!(((key5 === "exact") || (key5 === "prefix")) || (key5 === "regex"))){
const err16 = {instancePath:instancePath+"/match/path",schemaPath:"#/definitions/stringMatch/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key5},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
if(data8.exact !== undefined){
if(typeof data8.exact !== "string"){
const err17 = {instancePath:instancePath+"/match/path/exact",schemaPath:"#/definitions/stringMatch/properties/exact/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data8.prefix !== undefined){
if(typeof data8.prefix !== "string"){
const err18 = {instancePath:instancePath+"/match/path/prefix",schemaPath:"#/definitions/stringMatch/properties/prefix/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data8.regex !== undefined){
if(typeof data8.regex !== "string"){
const err19 = {instancePath:instancePath+"/match/path/regex",schemaPath:"#/definitions/stringMatch/properties/regex/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
}
else {
const err20 = {instancePath:instancePath+"/match/path",schemaPath:"#/definitions/stringMatch/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
if(data1.query !== undefined){
let data12 = data1.query;
if(data12 && typeof data12 == "object" && !Array.isArray(data12)){
if(Object.keys(data12).length < 1){
const err21 = {instancePath:instancePath+"/match/query",schemaPath:"#/definitions/queryMatch/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
for(const key6 in data12){
const _errs36 = errors;
if(typeof key6 === "string"){
if(func2(key6) < 1){
const err22 = {instancePath:instancePath+"/match/query",schemaPath:"#/definitions/queryMatch/propertyNames/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",propertyName:key6};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
var valid9 = _errs36 === errors;
if(!valid9){
const err23 = {instancePath:instancePath+"/match/query",schemaPath:"#/definitions/queryMatch/propertyNames",keyword:"propertyNames",params:{propertyName: key6},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
for(const key7 in data12){
let data13 = data12[key7];
if(data13 && typeof data13 == "object" && !Array.isArray(data13)){
if(Object.keys(data13).length > 1){
const err24 = {instancePath:instancePath+"/match/query/" + key7.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/queryMatch/additionalProperties/maxProperties",keyword:"maxProperties",params:{limit: 1},message:"must NOT have more than 1 properties"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
if(Object.keys(data13).length < 1){
const err25 = {instancePath:instancePath+"/match/query/" + key7.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/queryMatch/additionalProperties/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
for(const key8 in data13){
if(!((key8 === "exact") || (key8 === "regex"))){
const err26 = {instancePath:instancePath+"/match/query/" + key7.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/queryMatch/additionalProperties/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key8},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
}
if(data13.exact !== undefined){
if(typeof data13.exact !== "string"){
const err27 = {instancePath:instancePath+"/match/query/" + key7.replace(/~/g, "~0").replace(/\//g, "~1")+"/exact",schemaPath:"#/definitions/queryMatch/additionalProperties/properties/exact/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
if(data13.regex !== undefined){
if(typeof data13.regex !== "string"){
const err28 = {instancePath:instancePath+"/match/query/" + key7.replace(/~/g, "~0").replace(/\//g, "~1")+"/regex",schemaPath:"#/definitions/queryMatch/additionalProperties/properties/regex/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
}
}
else {
const err29 = {instancePath:instancePath+"/match/query/" + key7.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/queryMatch/additionalProperties/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
}
else {
const err30 = {instancePath:instancePath+"/match/query",schemaPath:"#/definitions/queryMatch/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
if(data1.grpc !== undefined){
let data16 = data1.grpc;
if(data16 && typeof data16 == "object" && !Array.isArray(data16)){
if(data16.service === undefined){
const err31 = {instancePath:instancePath+"/match/grpc",schemaPath:"#/properties/match/properties/grpc/required",keyword:"required",params:{missingProperty: "service"},message:"must have required property '"+"service"+"'"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
for(const key9 in data16){
if(!((key9 === "service") || (key9 === "method"))){
const err32 = {instancePath:instancePath+"/match/grpc",schemaPath:"#/properties/match/properties/grpc/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key9},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
if(data16.service !== undefined){
let data17 = data16.service;
if(typeof data17 === "string"){
if(!pattern13.test(data17)){
const err33 = {instancePath:instancePath+"/match/grpc/service",schemaPath:"#/properties/match/properties/grpc/properties/service/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$"},message:"must match pattern \""+"^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$"+"\""};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
else {
const err34 = {instancePath:instancePath+"/match/grpc/service",schemaPath:"#/properties/match/properties/grpc/properties/service/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
if(data16.method !== undefined){
let data18 = data16.method;
if(typeof data18 === "string"){
if(!pattern14.test(data18)){
const err35 = {instancePath:instancePath+"/match/grpc/method",schemaPath:"#/properties/match/properties/grpc/properties/method/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z_][A-Za-z0-9_]*$"},message:"must match pattern \""+"^[A-Za-z_][A-Za-z0-9_]*$"+"\""};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
}
else {
const err36 = {instancePath:instancePath+"/match/grpc/method",schemaPath:"#/properties/match/properties/grpc/properties/method/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
}
}
else {
const err37 = {instancePath:instancePath+"/match/grpc",schemaPath:"#/properties/match/properties/grpc/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
}
if(data1.method !== undefined){
let data19 = data1.method;
const _errs53 = errors;
let valid13 = false;
let passing0 = null;
const _errs54 = errors;
if(typeof data19 === "string"){
if(!pattern15.test(data19)){
const err38 = {instancePath:instancePath+"/match/method",schemaPath:"#/properties/match/properties/method/oneOf/0/pattern",keyword:"pattern",params:{pattern: "^[A-Z]+$"},message:"must match pattern \""+"^[A-Z]+$"+"\""};
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
const err39 = {instancePath:instancePath+"/match/method",schemaPath:"#/properties/match/properties/method/oneOf/0/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
var _valid0 = _errs54 === errors;
if(_valid0){
valid13 = true;
passing0 = 0;
}
const _errs56 = errors;
if(Array.isArray(data19)){
if(data19.length < 1){
const err40 = {instancePath:instancePath+"/match/method",schemaPath:"#/properties/match/properties/method/oneOf/1/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err40];
}
else {
vErrors.push(err40);
}
errors++;
}
const len0 = data19.length;
for(let i0=0; i0<len0; i0++){
let data20 = data19[i0];
if(typeof data20 === "string"){
if(!pattern15.test(data20)){
const err41 = {instancePath:instancePath+"/match/method/" + i0,schemaPath:"#/properties/match/properties/method/oneOf/1/items/pattern",keyword:"pattern",params:{pattern: "^[A-Z]+$"},message:"must match pattern \""+"^[A-Z]+$"+"\""};
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
const err42 = {instancePath:instancePath+"/match/method/" + i0,schemaPath:"#/properties/match/properties/method/oneOf/1/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
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
const err43 = {instancePath:instancePath+"/match/method",schemaPath:"#/properties/match/properties/method/oneOf/1/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
var _valid0 = _errs56 === errors;
if(_valid0 && valid13){
valid13 = false;
passing0 = [passing0, 1];
}
else {
if(_valid0){
valid13 = true;
passing0 = 1;
}
}
if(!valid13){
const err44 = {instancePath:instancePath+"/match/method",schemaPath:"#/properties/match/properties/method/oneOf",keyword:"oneOf",params:{passingSchemas: passing0},message:"must match exactly one schema in oneOf"};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
else {
errors = _errs53;
if(vErrors !== null){
if(_errs53){
vErrors.length = _errs53;
}
else {
vErrors = null;
}
}
}
}
}
else {
const err45 = {instancePath:instancePath+"/match",schemaPath:"#/properties/match/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
}
if(data.split !== undefined){
let data21 = data.split;
if(data21 && typeof data21 == "object" && !Array.isArray(data21)){
if(Object.keys(data21).length < 1){
const err46 = {instancePath:instancePath+"/split",schemaPath:"#/properties/split/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err46];
}
else {
vErrors.push(err46);
}
errors++;
}
for(const key10 in data21){
let data22 = data21[key10];
if(!((typeof data22 == "number") && (!(data22 % 1) && !isNaN(data22)))){
const err47 = {instancePath:instancePath+"/split/" + key10.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/split/additionalProperties/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
if(typeof data22 == "number"){
if(data22 > 1000000 || isNaN(data22)){
const err48 = {instancePath:instancePath+"/split/" + key10.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/split/additionalProperties/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
if(data22 < 0 || isNaN(data22)){
const err49 = {instancePath:instancePath+"/split/" + key10.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/split/additionalProperties/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
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
}
else {
const err50 = {instancePath:instancePath+"/split",schemaPath:"#/properties/split/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
}
if(data.sticky !== undefined){
let data23 = data.sticky;
if(data23 && typeof data23 == "object" && !Array.isArray(data23)){
if(Object.keys(data23).length > 1){
const err51 = {instancePath:instancePath+"/sticky",schemaPath:"#/properties/sticky/maxProperties",keyword:"maxProperties",params:{limit: 1},message:"must NOT have more than 1 properties"};
if(vErrors === null){
vErrors = [err51];
}
else {
vErrors.push(err51);
}
errors++;
}
if(Object.keys(data23).length < 1){
const err52 = {instancePath:instancePath+"/sticky",schemaPath:"#/properties/sticky/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err52];
}
else {
vErrors.push(err52);
}
errors++;
}
for(const key11 in data23){
if(!((key11 === "header") || (key11 === "cookie"))){
const err53 = {instancePath:instancePath+"/sticky",schemaPath:"#/properties/sticky/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key11},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err53];
}
else {
vErrors.push(err53);
}
errors++;
}
}
if(data23.header !== undefined){
let data24 = data23.header;
if(typeof data24 === "string"){
if(func2(data24) < 1){
const err54 = {instancePath:instancePath+"/sticky/header",schemaPath:"#/properties/sticky/properties/header/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err54];
}
else {
vErrors.push(err54);
}
errors++;
}
}
else {
const err55 = {instancePath:instancePath+"/sticky/header",schemaPath:"#/properties/sticky/properties/header/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err55];
}
else {
vErrors.push(err55);
}
errors++;
}
}
if(data23.cookie !== undefined){
let data25 = data23.cookie;
if(typeof data25 === "string"){
if(func2(data25) < 1){
const err56 = {instancePath:instancePath+"/sticky/cookie",schemaPath:"#/properties/sticky/properties/cookie/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err56];
}
else {
vErrors.push(err56);
}
errors++;
}
}
else {
const err57 = {instancePath:instancePath+"/sticky/cookie",schemaPath:"#/properties/sticky/properties/cookie/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err57];
}
else {
vErrors.push(err57);
}
errors++;
}
}
}
else {
const err58 = {instancePath:instancePath+"/sticky",schemaPath:"#/properties/sticky/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err58];
}
else {
vErrors.push(err58);
}
errors++;
}
}
if(data.timeout !== undefined){
let data26 = data.timeout;
if(typeof data26 === "string"){
if(!pattern1.test(data26)){
const err59 = {instancePath:instancePath+"/timeout",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err59];
}
else {
vErrors.push(err59);
}
errors++;
}
}
else {
const err60 = {instancePath:instancePath+"/timeout",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err60];
}
else {
vErrors.push(err60);
}
errors++;
}
}
if(data.fault !== undefined){
if(!(validate15(data.fault, {instancePath:instancePath+"/fault",parentData:data,parentDataProperty:"fault",rootData}))){
vErrors = vErrors === null ? validate15.errors : vErrors.concat(validate15.errors);
errors = vErrors.length;
}
}
if(data.mirror !== undefined){
if(!(validate17(data.mirror, {instancePath:instancePath+"/mirror",parentData:data,parentDataProperty:"mirror",rootData}))){
vErrors = vErrors === null ? validate17.errors : vErrors.concat(validate17.errors);
errors = vErrors.length;
}
}
if(data.headers !== undefined){
if(!(validate19(data.headers, {instancePath:instancePath+"/headers",parentData:data,parentDataProperty:"headers",rootData}))){
vErrors = vErrors === null ? validate19.errors : vErrors.concat(validate19.errors);
errors = vErrors.length;
}
}
if(data.redirect !== undefined){
if(!(validate24(data.redirect, {instancePath:instancePath+"/redirect",parentData:data,parentDataProperty:"redirect",rootData}))){
vErrors = vErrors === null ? validate24.errors : vErrors.concat(validate24.errors);
errors = vErrors.length;
}
}
if(data.rewrite !== undefined){
if(!(validate26(data.rewrite, {instancePath:instancePath+"/rewrite",parentData:data,parentDataProperty:"rewrite",rootData}))){
vErrors = vErrors === null ? validate26.errors : vErrors.concat(validate26.errors);
errors = vErrors.length;
}
}
if(data.guard !== undefined){
let data32 = data.guard;
if(data32 && typeof data32 == "object" && !Array.isArray(data32)){
if(data32.baseline === undefined){
const err61 = {instancePath:instancePath+"/guard",schemaPath:"#/properties/guard/required",keyword:"required",params:{missingProperty: "baseline"},message:"must have required property '"+"baseline"+"'"};
if(vErrors === null){
vErrors = [err61];
}
else {
vErrors.push(err61);
}
errors++;
}
for(const key12 in data32){
if(!(((((key12 === "baseline") || (key12 === "maxErrorRate")) || (key12 === "maxLatencyP99")) || (key12 === "window")) || (key12 === "minRequests"))){
const err62 = {instancePath:instancePath+"/guard",schemaPath:"#/properties/guard/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key12},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err62];
}
else {
vErrors.push(err62);
}
errors++;
}
}
if(data32.baseline !== undefined){
let data33 = data32.baseline;
if(typeof data33 === "string"){
if(func2(data33) < 1){
const err63 = {instancePath:instancePath+"/guard/baseline",schemaPath:"#/properties/guard/properties/baseline/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err63];
}
else {
vErrors.push(err63);
}
errors++;
}
}
else {
const err64 = {instancePath:instancePath+"/guard/baseline",schemaPath:"#/properties/guard/properties/baseline/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err64];
}
else {
vErrors.push(err64);
}
errors++;
}
}
if(data32.maxErrorRate !== undefined){
let data34 = data32.maxErrorRate;
if(typeof data34 == "number"){
if(data34 > 1 || isNaN(data34)){
const err65 = {instancePath:instancePath+"/guard/maxErrorRate",schemaPath:"#/properties/guard/properties/maxErrorRate/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1},message:"must be <= 1"};
if(vErrors === null){
vErrors = [err65];
}
else {
vErrors.push(err65);
}
errors++;
}
if(data34 < 0 || isNaN(data34)){
const err66 = {instancePath:instancePath+"/guard/maxErrorRate",schemaPath:"#/properties/guard/properties/maxErrorRate/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err66];
}
else {
vErrors.push(err66);
}
errors++;
}
}
else {
const err67 = {instancePath:instancePath+"/guard/maxErrorRate",schemaPath:"#/properties/guard/properties/maxErrorRate/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err67];
}
else {
vErrors.push(err67);
}
errors++;
}
}
if(data32.maxLatencyP99 !== undefined){
let data35 = data32.maxLatencyP99;
if(typeof data35 === "string"){
if(!pattern1.test(data35)){
const err68 = {instancePath:instancePath+"/guard/maxLatencyP99",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err68];
}
else {
vErrors.push(err68);
}
errors++;
}
}
else {
const err69 = {instancePath:instancePath+"/guard/maxLatencyP99",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err69];
}
else {
vErrors.push(err69);
}
errors++;
}
}
if(data32.window !== undefined){
let data36 = data32.window;
if(typeof data36 === "string"){
if(!pattern1.test(data36)){
const err70 = {instancePath:instancePath+"/guard/window",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err70];
}
else {
vErrors.push(err70);
}
errors++;
}
}
else {
const err71 = {instancePath:instancePath+"/guard/window",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err71];
}
else {
vErrors.push(err71);
}
errors++;
}
}
if(data32.minRequests !== undefined){
let data37 = data32.minRequests;
if(!((typeof data37 == "number") && (!(data37 % 1) && !isNaN(data37)))){
const err72 = {instancePath:instancePath+"/guard/minRequests",schemaPath:"#/properties/guard/properties/minRequests/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err72];
}
else {
vErrors.push(err72);
}
errors++;
}
if(typeof data37 == "number"){
if(data37 > 1000000 || isNaN(data37)){
const err73 = {instancePath:instancePath+"/guard/minRequests",schemaPath:"#/properties/guard/properties/minRequests/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err73];
}
else {
vErrors.push(err73);
}
errors++;
}
if(data37 < 1 || isNaN(data37)){
const err74 = {instancePath:instancePath+"/guard/minRequests",schemaPath:"#/properties/guard/properties/minRequests/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err74];
}
else {
vErrors.push(err74);
}
errors++;
}
}
}
}
else {
const err75 = {instancePath:instancePath+"/guard",schemaPath:"#/properties/guard/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err75];
}
else {
vErrors.push(err75);
}
errors++;
}
}
}
else {
const err76 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err76];
}
else {
vErrors.push(err76);
}
errors++;
}
validate14.errors = vErrors;
return errors === 0;
}

const schema50 = {"type":"object","additionalProperties":false,"required":["requestsPerSecond"],"description":"Enforced by the service's own sidecar: 429 RL (gRPC RESOURCE_EXHAUSTED) with retry-after.","properties":{"requestsPerSecond":{"type":"number","exclusiveMinimum":0,"maximum":1000000},"burst":{"type":"integer","minimum":1,"maximum":1000000},"perCaller":{"type":"object","propertyNames":{"minLength":1},"additionalProperties":{"oneOf":[{"type":"number","exclusiveMinimum":0,"maximum":1000000},{"$ref":"#/definitions/bucket"}]}}}};
const schema51 = {"type":"object","additionalProperties":false,"required":["requestsPerSecond"],"properties":{"requestsPerSecond":{"type":"number","exclusiveMinimum":0,"maximum":1000000},"burst":{"type":"integer","minimum":1,"maximum":1000000}}};

function validate34(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.requestsPerSecond === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "requestsPerSecond"},message:"must have required property '"+"requestsPerSecond"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
for(const key0 in data){
if(!(((key0 === "requestsPerSecond") || (key0 === "burst")) || (key0 === "perCaller"))){
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
if(data.requestsPerSecond !== undefined){
let data0 = data.requestsPerSecond;
if(typeof data0 == "number"){
if(data0 > 1000000 || isNaN(data0)){
const err2 = {instancePath:instancePath+"/requestsPerSecond",schemaPath:"#/properties/requestsPerSecond/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
if(data0 <= 0 || isNaN(data0)){
const err3 = {instancePath:instancePath+"/requestsPerSecond",schemaPath:"#/properties/requestsPerSecond/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
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
const err4 = {instancePath:instancePath+"/requestsPerSecond",schemaPath:"#/properties/requestsPerSecond/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
if(data.burst !== undefined){
let data1 = data.burst;
if(!((typeof data1 == "number") && (!(data1 % 1) && !isNaN(data1)))){
const err5 = {instancePath:instancePath+"/burst",schemaPath:"#/properties/burst/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
if(typeof data1 == "number"){
if(data1 > 1000000 || isNaN(data1)){
const err6 = {instancePath:instancePath+"/burst",schemaPath:"#/properties/burst/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
if(data1 < 1 || isNaN(data1)){
const err7 = {instancePath:instancePath+"/burst",schemaPath:"#/properties/burst/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
}
if(data.perCaller !== undefined){
let data2 = data.perCaller;
if(data2 && typeof data2 == "object" && !Array.isArray(data2)){
for(const key1 in data2){
const _errs8 = errors;
if(typeof key1 === "string"){
if(func2(key1) < 1){
const err8 = {instancePath:instancePath+"/perCaller",schemaPath:"#/properties/perCaller/propertyNames/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters",propertyName:key1};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
var valid1 = _errs8 === errors;
if(!valid1){
const err9 = {instancePath:instancePath+"/perCaller",schemaPath:"#/properties/perCaller/propertyNames",keyword:"propertyNames",params:{propertyName: key1},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
for(const key2 in data2){
let data3 = data2[key2];
const _errs11 = errors;
let valid3 = false;
let passing0 = null;
const _errs12 = errors;
if(typeof data3 == "number"){
if(data3 > 1000000 || isNaN(data3)){
const err10 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/perCaller/additionalProperties/oneOf/0/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
if(data3 <= 0 || isNaN(data3)){
const err11 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/perCaller/additionalProperties/oneOf/0/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
else {
const err12 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/perCaller/additionalProperties/oneOf/0/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
var _valid0 = _errs12 === errors;
if(_valid0){
valid3 = true;
passing0 = 0;
}
const _errs14 = errors;
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(data3.requestsPerSecond === undefined){
const err13 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/bucket/required",keyword:"required",params:{missingProperty: "requestsPerSecond"},message:"must have required property '"+"requestsPerSecond"+"'"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
for(const key3 in data3){
if(!((key3 === "requestsPerSecond") || (key3 === "burst"))){
const err14 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/bucket/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data3.requestsPerSecond !== undefined){
let data4 = data3.requestsPerSecond;
if(typeof data4 == "number"){
if(data4 > 1000000 || isNaN(data4)){
const err15 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/requestsPerSecond",schemaPath:"#/definitions/bucket/properties/requestsPerSecond/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
if(data4 <= 0 || isNaN(data4)){
const err16 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/requestsPerSecond",schemaPath:"#/definitions/bucket/properties/requestsPerSecond/exclusiveMinimum",keyword:"exclusiveMinimum",params:{comparison: ">", limit: 0},message:"must be > 0"};
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
const err17 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/requestsPerSecond",schemaPath:"#/definitions/bucket/properties/requestsPerSecond/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
if(data3.burst !== undefined){
let data5 = data3.burst;
if(!((typeof data5 == "number") && (!(data5 % 1) && !isNaN(data5)))){
const err18 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/burst",schemaPath:"#/definitions/bucket/properties/burst/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
if(typeof data5 == "number"){
if(data5 > 1000000 || isNaN(data5)){
const err19 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/burst",schemaPath:"#/definitions/bucket/properties/burst/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
if(data5 < 1 || isNaN(data5)){
const err20 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1")+"/burst",schemaPath:"#/definitions/bucket/properties/burst/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
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
}
else {
const err21 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/definitions/bucket/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
var _valid0 = _errs14 === errors;
if(_valid0 && valid3){
valid3 = false;
passing0 = [passing0, 1];
}
else {
if(_valid0){
valid3 = true;
passing0 = 1;
}
}
if(!valid3){
const err22 = {instancePath:instancePath+"/perCaller/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),schemaPath:"#/properties/perCaller/additionalProperties/oneOf",keyword:"oneOf",params:{passingSchemas: passing0},message:"must match exactly one schema in oneOf"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
else {
errors = _errs11;
if(vErrors !== null){
if(_errs11){
vErrors.length = _errs11;
}
else {
vErrors = null;
}
}
}
}
}
else {
const err23 = {instancePath:instancePath+"/perCaller",schemaPath:"#/properties/perCaller/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
}
else {
const err24 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
validate34.errors = vErrors;
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
if(data.protocol !== undefined){
let data4 = data.protocol;
if(!(((data4 === "http") || (data4 === "http2")) || (data4 === "grpc"))){
const err10 = {instancePath:instancePath+"/protocol",schemaPath:"#/properties/protocol/enum",keyword:"enum",params:{allowedValues: schema15.properties.protocol.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.versions !== undefined){
let data5 = data.versions;
if(data5 && typeof data5 == "object" && !Array.isArray(data5)){
if(Object.keys(data5).length < 1){
const err11 = {instancePath:instancePath+"/versions",schemaPath:"#/properties/versions/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
for(const key1 in data5){
const _errs14 = errors;
if(typeof key1 === "string"){
if(!pattern7.test(key1)){
const err12 = {instancePath:instancePath+"/versions",schemaPath:"#/properties/versions/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[A-Za-z0-9][-A-Za-z0-9_.]*$"},message:"must match pattern \""+"^[A-Za-z0-9][-A-Za-z0-9_.]*$"+"\"",propertyName:key1};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
var valid3 = _errs14 === errors;
if(!valid3){
const err13 = {instancePath:instancePath+"/versions",schemaPath:"#/properties/versions/propertyNames",keyword:"propertyNames",params:{propertyName: key1},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
for(const key2 in data5){
if(!(validate12(data5[key2], {instancePath:instancePath+"/versions/" + key2.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data5,parentDataProperty:key2,rootData}))){
vErrors = vErrors === null ? validate12.errors : vErrors.concat(validate12.errors);
errors = vErrors.length;
}
}
}
else {
const err14 = {instancePath:instancePath+"/versions",schemaPath:"#/properties/versions/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data.timeout !== undefined){
let data7 = data.timeout;
if(typeof data7 === "string"){
if(!pattern1.test(data7)){
const err15 = {instancePath:instancePath+"/timeout",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
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
const err16 = {instancePath:instancePath+"/timeout",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
if(data.streamIdleTimeout !== undefined){
let data8 = data.streamIdleTimeout;
if(typeof data8 === "string"){
if(!pattern1.test(data8)){
const err17 = {instancePath:instancePath+"/streamIdleTimeout",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
else {
const err18 = {instancePath:instancePath+"/streamIdleTimeout",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data.retries !== undefined){
let data9 = data.retries;
if(data9 && typeof data9 == "object" && !Array.isArray(data9)){
if(data9.attempts === undefined){
const err19 = {instancePath:instancePath+"/retries",schemaPath:"#/properties/retries/required",keyword:"required",params:{missingProperty: "attempts"},message:"must have required property '"+"attempts"+"'"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
for(const key3 in data9){
if(!(((key3 === "attempts") || (key3 === "on")) || (key3 === "perTryTimeout"))){
const err20 = {instancePath:instancePath+"/retries",schemaPath:"#/properties/retries/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key3},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
if(data9.attempts !== undefined){
let data10 = data9.attempts;
if(!((typeof data10 == "number") && (!(data10 % 1) && !isNaN(data10)))){
const err21 = {instancePath:instancePath+"/retries/attempts",schemaPath:"#/properties/retries/properties/attempts/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
if(typeof data10 == "number"){
if(data10 > 10 || isNaN(data10)){
const err22 = {instancePath:instancePath+"/retries/attempts",schemaPath:"#/properties/retries/properties/attempts/maximum",keyword:"maximum",params:{comparison: "<=", limit: 10},message:"must be <= 10"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
if(data10 < 0 || isNaN(data10)){
const err23 = {instancePath:instancePath+"/retries/attempts",schemaPath:"#/properties/retries/properties/attempts/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
}
if(data9.on !== undefined){
let data11 = data9.on;
if(Array.isArray(data11)){
const len0 = data11.length;
for(let i0=0; i0<len0; i0++){
let data12 = data11[i0];
const _errs31 = errors;
let valid10 = false;
const _errs32 = errors;
if(!(((((((((data12 === "connect-failure") || (data12 === "reset")) || (data12 === "5xx")) || (data12 === "gateway-error")) || (data12 === "cancelled")) || (data12 === "deadline-exceeded")) || (data12 === "internal")) || (data12 === "resource-exhausted")) || (data12 === "unavailable"))){
const err24 = {instancePath:instancePath+"/retries/on/" + i0,schemaPath:"#/properties/retries/properties/on/items/anyOf/0/enum",keyword:"enum",params:{allowedValues: schema15.properties.retries.properties.on.items.anyOf[0].enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
var _valid0 = _errs32 === errors;
valid10 = valid10 || _valid0;
if(!valid10){
const _errs33 = errors;
if(!((typeof data12 == "number") && (!(data12 % 1) && !isNaN(data12)))){
const err25 = {instancePath:instancePath+"/retries/on/" + i0,schemaPath:"#/properties/retries/properties/on/items/anyOf/1/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
if(typeof data12 == "number"){
if(data12 > 599 || isNaN(data12)){
const err26 = {instancePath:instancePath+"/retries/on/" + i0,schemaPath:"#/properties/retries/properties/on/items/anyOf/1/maximum",keyword:"maximum",params:{comparison: "<=", limit: 599},message:"must be <= 599"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
if(data12 < 400 || isNaN(data12)){
const err27 = {instancePath:instancePath+"/retries/on/" + i0,schemaPath:"#/properties/retries/properties/on/items/anyOf/1/minimum",keyword:"minimum",params:{comparison: ">=", limit: 400},message:"must be >= 400"};
if(vErrors === null){
vErrors = [err27];
}
else {
vErrors.push(err27);
}
errors++;
}
}
var _valid0 = _errs33 === errors;
valid10 = valid10 || _valid0;
}
if(!valid10){
const err28 = {instancePath:instancePath+"/retries/on/" + i0,schemaPath:"#/properties/retries/properties/on/items/anyOf",keyword:"anyOf",params:{},message:"must match a schema in anyOf"};
if(vErrors === null){
vErrors = [err28];
}
else {
vErrors.push(err28);
}
errors++;
}
else {
errors = _errs31;
if(vErrors !== null){
if(_errs31){
vErrors.length = _errs31;
}
else {
vErrors = null;
}
}
}
}
}
else {
const err29 = {instancePath:instancePath+"/retries/on",schemaPath:"#/properties/retries/properties/on/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err29];
}
else {
vErrors.push(err29);
}
errors++;
}
}
if(data9.perTryTimeout !== undefined){
let data13 = data9.perTryTimeout;
if(typeof data13 === "string"){
if(!pattern1.test(data13)){
const err30 = {instancePath:instancePath+"/retries/perTryTimeout",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err30];
}
else {
vErrors.push(err30);
}
errors++;
}
}
else {
const err31 = {instancePath:instancePath+"/retries/perTryTimeout",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err31];
}
else {
vErrors.push(err31);
}
errors++;
}
}
}
else {
const err32 = {instancePath:instancePath+"/retries",schemaPath:"#/properties/retries/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err32];
}
else {
vErrors.push(err32);
}
errors++;
}
}
if(data.routes !== undefined){
let data14 = data.routes;
if(Array.isArray(data14)){
const len1 = data14.length;
for(let i1=0; i1<len1; i1++){
if(!(validate14(data14[i1], {instancePath:instancePath+"/routes/" + i1,parentData:data14,parentDataProperty:i1,rootData}))){
vErrors = vErrors === null ? validate14.errors : vErrors.concat(validate14.errors);
errors = vErrors.length;
}
}
}
else {
const err33 = {instancePath:instancePath+"/routes",schemaPath:"#/properties/routes/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err33];
}
else {
vErrors.push(err33);
}
errors++;
}
}
if(data.loadBalancer !== undefined){
let data16 = data.loadBalancer;
if(!(((data16 === "peak-ewma") || (data16 === "round-robin")) || (data16 === "least-request"))){
const err34 = {instancePath:instancePath+"/loadBalancer",schemaPath:"#/properties/loadBalancer/enum",keyword:"enum",params:{allowedValues: schema15.properties.loadBalancer.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err34];
}
else {
vErrors.push(err34);
}
errors++;
}
}
if(data.outlierDetection !== undefined){
let data17 = data.outlierDetection;
if((!(data17 && typeof data17 == "object" && !Array.isArray(data17))) && (typeof data17 !== "boolean")){
const err35 = {instancePath:instancePath+"/outlierDetection",schemaPath:"#/properties/outlierDetection/type",keyword:"type",params:{type: schema15.properties.outlierDetection.type},message:"must be object,boolean"};
if(vErrors === null){
vErrors = [err35];
}
else {
vErrors.push(err35);
}
errors++;
}
if(data17 && typeof data17 == "object" && !Array.isArray(data17)){
for(const key4 in data17){
if(!((((key4 === "consecutiveGatewayFailures") || (key4 === "baseEjectionTime")) || (key4 === "maxEjectionTime")) || (key4 === "maxEjectionPercent"))){
const err36 = {instancePath:instancePath+"/outlierDetection",schemaPath:"#/properties/outlierDetection/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key4},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err36];
}
else {
vErrors.push(err36);
}
errors++;
}
}
if(data17.consecutiveGatewayFailures !== undefined){
let data18 = data17.consecutiveGatewayFailures;
if(!((typeof data18 == "number") && (!(data18 % 1) && !isNaN(data18)))){
const err37 = {instancePath:instancePath+"/outlierDetection/consecutiveGatewayFailures",schemaPath:"#/properties/outlierDetection/properties/consecutiveGatewayFailures/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err37];
}
else {
vErrors.push(err37);
}
errors++;
}
if(typeof data18 == "number"){
if(data18 > 1000 || isNaN(data18)){
const err38 = {instancePath:instancePath+"/outlierDetection/consecutiveGatewayFailures",schemaPath:"#/properties/outlierDetection/properties/consecutiveGatewayFailures/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000},message:"must be <= 1000"};
if(vErrors === null){
vErrors = [err38];
}
else {
vErrors.push(err38);
}
errors++;
}
if(data18 < 1 || isNaN(data18)){
const err39 = {instancePath:instancePath+"/outlierDetection/consecutiveGatewayFailures",schemaPath:"#/properties/outlierDetection/properties/consecutiveGatewayFailures/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err39];
}
else {
vErrors.push(err39);
}
errors++;
}
}
}
if(data17.baseEjectionTime !== undefined){
let data19 = data17.baseEjectionTime;
if(typeof data19 === "string"){
if(!pattern1.test(data19)){
const err40 = {instancePath:instancePath+"/outlierDetection/baseEjectionTime",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
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
const err41 = {instancePath:instancePath+"/outlierDetection/baseEjectionTime",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err41];
}
else {
vErrors.push(err41);
}
errors++;
}
}
if(data17.maxEjectionTime !== undefined){
let data20 = data17.maxEjectionTime;
if(typeof data20 === "string"){
if(!pattern1.test(data20)){
const err42 = {instancePath:instancePath+"/outlierDetection/maxEjectionTime",schemaPath:"#/definitions/duration/pattern",keyword:"pattern",params:{pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},message:"must match pattern \""+"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"+"\""};
if(vErrors === null){
vErrors = [err42];
}
else {
vErrors.push(err42);
}
errors++;
}
}
else {
const err43 = {instancePath:instancePath+"/outlierDetection/maxEjectionTime",schemaPath:"#/definitions/duration/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err43];
}
else {
vErrors.push(err43);
}
errors++;
}
}
if(data17.maxEjectionPercent !== undefined){
let data21 = data17.maxEjectionPercent;
if(!((typeof data21 == "number") && (!(data21 % 1) && !isNaN(data21)))){
const err44 = {instancePath:instancePath+"/outlierDetection/maxEjectionPercent",schemaPath:"#/properties/outlierDetection/properties/maxEjectionPercent/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err44];
}
else {
vErrors.push(err44);
}
errors++;
}
if(typeof data21 == "number"){
if(data21 > 100 || isNaN(data21)){
const err45 = {instancePath:instancePath+"/outlierDetection/maxEjectionPercent",schemaPath:"#/properties/outlierDetection/properties/maxEjectionPercent/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100},message:"must be <= 100"};
if(vErrors === null){
vErrors = [err45];
}
else {
vErrors.push(err45);
}
errors++;
}
if(data21 < 0 || isNaN(data21)){
const err46 = {instancePath:instancePath+"/outlierDetection/maxEjectionPercent",schemaPath:"#/properties/outlierDetection/properties/maxEjectionPercent/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
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
}
}
if(data.circuitBreaker !== undefined){
let data22 = data.circuitBreaker;
if(data22 && typeof data22 == "object" && !Array.isArray(data22)){
for(const key5 in data22){
if(!(((key5 === "maxConnections") || (key5 === "maxPendingRequests")) || (key5 === "maxRequests"))){
const err47 = {instancePath:instancePath+"/circuitBreaker",schemaPath:"#/properties/circuitBreaker/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key5},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err47];
}
else {
vErrors.push(err47);
}
errors++;
}
}
if(data22.maxConnections !== undefined){
let data23 = data22.maxConnections;
if(!((typeof data23 == "number") && (!(data23 % 1) && !isNaN(data23)))){
const err48 = {instancePath:instancePath+"/circuitBreaker/maxConnections",schemaPath:"#/properties/circuitBreaker/properties/maxConnections/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err48];
}
else {
vErrors.push(err48);
}
errors++;
}
if(typeof data23 == "number"){
if(data23 > 1000000 || isNaN(data23)){
const err49 = {instancePath:instancePath+"/circuitBreaker/maxConnections",schemaPath:"#/properties/circuitBreaker/properties/maxConnections/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err49];
}
else {
vErrors.push(err49);
}
errors++;
}
if(data23 < 1 || isNaN(data23)){
const err50 = {instancePath:instancePath+"/circuitBreaker/maxConnections",schemaPath:"#/properties/circuitBreaker/properties/maxConnections/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err50];
}
else {
vErrors.push(err50);
}
errors++;
}
}
}
if(data22.maxPendingRequests !== undefined){
let data24 = data22.maxPendingRequests;
if(!((typeof data24 == "number") && (!(data24 % 1) && !isNaN(data24)))){
const err51 = {instancePath:instancePath+"/circuitBreaker/maxPendingRequests",schemaPath:"#/properties/circuitBreaker/properties/maxPendingRequests/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err51];
}
else {
vErrors.push(err51);
}
errors++;
}
if(typeof data24 == "number"){
if(data24 > 1000000 || isNaN(data24)){
const err52 = {instancePath:instancePath+"/circuitBreaker/maxPendingRequests",schemaPath:"#/properties/circuitBreaker/properties/maxPendingRequests/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err52];
}
else {
vErrors.push(err52);
}
errors++;
}
if(data24 < 0 || isNaN(data24)){
const err53 = {instancePath:instancePath+"/circuitBreaker/maxPendingRequests",schemaPath:"#/properties/circuitBreaker/properties/maxPendingRequests/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err53];
}
else {
vErrors.push(err53);
}
errors++;
}
}
}
if(data22.maxRequests !== undefined){
let data25 = data22.maxRequests;
if(!((typeof data25 == "number") && (!(data25 % 1) && !isNaN(data25)))){
const err54 = {instancePath:instancePath+"/circuitBreaker/maxRequests",schemaPath:"#/properties/circuitBreaker/properties/maxRequests/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err54];
}
else {
vErrors.push(err54);
}
errors++;
}
if(typeof data25 == "number"){
if(data25 > 1000000 || isNaN(data25)){
const err55 = {instancePath:instancePath+"/circuitBreaker/maxRequests",schemaPath:"#/properties/circuitBreaker/properties/maxRequests/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err55];
}
else {
vErrors.push(err55);
}
errors++;
}
if(data25 < 1 || isNaN(data25)){
const err56 = {instancePath:instancePath+"/circuitBreaker/maxRequests",schemaPath:"#/properties/circuitBreaker/properties/maxRequests/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err56];
}
else {
vErrors.push(err56);
}
errors++;
}
}
}
}
else {
const err57 = {instancePath:instancePath+"/circuitBreaker",schemaPath:"#/properties/circuitBreaker/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err57];
}
else {
vErrors.push(err57);
}
errors++;
}
}
if(data.retryBudget !== undefined){
let data26 = data.retryBudget;
if(data26 && typeof data26 == "object" && !Array.isArray(data26)){
for(const key6 in data26){
if(!((key6 === "ratio") || (key6 === "minRetriesPerSecond"))){
const err58 = {instancePath:instancePath+"/retryBudget",schemaPath:"#/properties/retryBudget/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key6},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err58];
}
else {
vErrors.push(err58);
}
errors++;
}
}
if(data26.ratio !== undefined){
let data27 = data26.ratio;
if(typeof data27 == "number"){
if(data27 > 100 || isNaN(data27)){
const err59 = {instancePath:instancePath+"/retryBudget/ratio",schemaPath:"#/properties/retryBudget/properties/ratio/maximum",keyword:"maximum",params:{comparison: "<=", limit: 100},message:"must be <= 100"};
if(vErrors === null){
vErrors = [err59];
}
else {
vErrors.push(err59);
}
errors++;
}
if(data27 < 0 || isNaN(data27)){
const err60 = {instancePath:instancePath+"/retryBudget/ratio",schemaPath:"#/properties/retryBudget/properties/ratio/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err60];
}
else {
vErrors.push(err60);
}
errors++;
}
}
else {
const err61 = {instancePath:instancePath+"/retryBudget/ratio",schemaPath:"#/properties/retryBudget/properties/ratio/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err61];
}
else {
vErrors.push(err61);
}
errors++;
}
}
if(data26.minRetriesPerSecond !== undefined){
let data28 = data26.minRetriesPerSecond;
if(!((typeof data28 == "number") && (!(data28 % 1) && !isNaN(data28)))){
const err62 = {instancePath:instancePath+"/retryBudget/minRetriesPerSecond",schemaPath:"#/properties/retryBudget/properties/minRetriesPerSecond/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err62];
}
else {
vErrors.push(err62);
}
errors++;
}
if(typeof data28 == "number"){
if(data28 > 1000000 || isNaN(data28)){
const err63 = {instancePath:instancePath+"/retryBudget/minRetriesPerSecond",schemaPath:"#/properties/retryBudget/properties/minRetriesPerSecond/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1000000},message:"must be <= 1000000"};
if(vErrors === null){
vErrors = [err63];
}
else {
vErrors.push(err63);
}
errors++;
}
if(data28 < 0 || isNaN(data28)){
const err64 = {instancePath:instancePath+"/retryBudget/minRetriesPerSecond",schemaPath:"#/properties/retryBudget/properties/minRetriesPerSecond/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err64];
}
else {
vErrors.push(err64);
}
errors++;
}
}
}
}
else {
const err65 = {instancePath:instancePath+"/retryBudget",schemaPath:"#/properties/retryBudget/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err65];
}
else {
vErrors.push(err65);
}
errors++;
}
}
if(data.allowMode !== undefined){
let data29 = data.allowMode;
if(!((data29 === "enforce") || (data29 === "audit"))){
const err66 = {instancePath:instancePath+"/allowMode",schemaPath:"#/properties/allowMode/enum",keyword:"enum",params:{allowedValues: schema15.properties.allowMode.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err66];
}
else {
vErrors.push(err66);
}
errors++;
}
}
if(data.allow !== undefined){
let data30 = data.allow;
if(Array.isArray(data30)){
const len2 = data30.length;
for(let i2=0; i2<len2; i2++){
let data31 = data30[i2];
if(data31 && typeof data31 == "object" && !Array.isArray(data31)){
if(data31.from === undefined){
const err67 = {instancePath:instancePath+"/allow/" + i2,schemaPath:"#/definitions/allowRule/required",keyword:"required",params:{missingProperty: "from"},message:"must have required property '"+"from"+"'"};
if(vErrors === null){
vErrors = [err67];
}
else {
vErrors.push(err67);
}
errors++;
}
for(const key7 in data31){
if(!(((key7 === "from") || (key7 === "methods")) || (key7 === "paths"))){
const err68 = {instancePath:instancePath+"/allow/" + i2,schemaPath:"#/definitions/allowRule/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key7},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err68];
}
else {
vErrors.push(err68);
}
errors++;
}
}
if(data31.from !== undefined){
let data32 = data31.from;
if(Array.isArray(data32)){
if(data32.length < 1){
const err69 = {instancePath:instancePath+"/allow/" + i2+"/from",schemaPath:"#/definitions/allowRule/properties/from/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err69];
}
else {
vErrors.push(err69);
}
errors++;
}
const len3 = data32.length;
for(let i3=0; i3<len3; i3++){
let data33 = data32[i3];
if(typeof data33 === "string"){
if(func2(data33) < 1){
const err70 = {instancePath:instancePath+"/allow/" + i2+"/from/" + i3,schemaPath:"#/definitions/allowRule/properties/from/items/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err70];
}
else {
vErrors.push(err70);
}
errors++;
}
}
else {
const err71 = {instancePath:instancePath+"/allow/" + i2+"/from/" + i3,schemaPath:"#/definitions/allowRule/properties/from/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err71];
}
else {
vErrors.push(err71);
}
errors++;
}
}
}
else {
const err72 = {instancePath:instancePath+"/allow/" + i2+"/from",schemaPath:"#/definitions/allowRule/properties/from/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err72];
}
else {
vErrors.push(err72);
}
errors++;
}
}
if(data31.methods !== undefined){
let data34 = data31.methods;
if(Array.isArray(data34)){
if(data34.length < 1){
const err73 = {instancePath:instancePath+"/allow/" + i2+"/methods",schemaPath:"#/definitions/allowRule/properties/methods/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err73];
}
else {
vErrors.push(err73);
}
errors++;
}
const len4 = data34.length;
for(let i4=0; i4<len4; i4++){
let data35 = data34[i4];
if(typeof data35 === "string"){
if(!pattern15.test(data35)){
const err74 = {instancePath:instancePath+"/allow/" + i2+"/methods/" + i4,schemaPath:"#/definitions/allowRule/properties/methods/items/pattern",keyword:"pattern",params:{pattern: "^[A-Z]+$"},message:"must match pattern \""+"^[A-Z]+$"+"\""};
if(vErrors === null){
vErrors = [err74];
}
else {
vErrors.push(err74);
}
errors++;
}
}
else {
const err75 = {instancePath:instancePath+"/allow/" + i2+"/methods/" + i4,schemaPath:"#/definitions/allowRule/properties/methods/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err75];
}
else {
vErrors.push(err75);
}
errors++;
}
}
}
else {
const err76 = {instancePath:instancePath+"/allow/" + i2+"/methods",schemaPath:"#/definitions/allowRule/properties/methods/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err76];
}
else {
vErrors.push(err76);
}
errors++;
}
}
if(data31.paths !== undefined){
let data36 = data31.paths;
if(Array.isArray(data36)){
if(data36.length < 1){
const err77 = {instancePath:instancePath+"/allow/" + i2+"/paths",schemaPath:"#/definitions/allowRule/properties/paths/minItems",keyword:"minItems",params:{limit: 1},message:"must NOT have fewer than 1 items"};
if(vErrors === null){
vErrors = [err77];
}
else {
vErrors.push(err77);
}
errors++;
}
const len5 = data36.length;
for(let i5=0; i5<len5; i5++){
let data37 = data36[i5];
if(typeof data37 === "string"){
if(!pattern23.test(data37)){
const err78 = {instancePath:instancePath+"/allow/" + i2+"/paths/" + i5,schemaPath:"#/definitions/allowRule/properties/paths/items/pattern",keyword:"pattern",params:{pattern: "^/"},message:"must match pattern \""+"^/"+"\""};
if(vErrors === null){
vErrors = [err78];
}
else {
vErrors.push(err78);
}
errors++;
}
}
else {
const err79 = {instancePath:instancePath+"/allow/" + i2+"/paths/" + i5,schemaPath:"#/definitions/allowRule/properties/paths/items/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err79];
}
else {
vErrors.push(err79);
}
errors++;
}
}
}
else {
const err80 = {instancePath:instancePath+"/allow/" + i2+"/paths",schemaPath:"#/definitions/allowRule/properties/paths/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err80];
}
else {
vErrors.push(err80);
}
errors++;
}
}
}
else {
const err81 = {instancePath:instancePath+"/allow/" + i2,schemaPath:"#/definitions/allowRule/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err81];
}
else {
vErrors.push(err81);
}
errors++;
}
}
}
else {
const err82 = {instancePath:instancePath+"/allow",schemaPath:"#/properties/allow/type",keyword:"type",params:{type: "array"},message:"must be array"};
if(vErrors === null){
vErrors = [err82];
}
else {
vErrors.push(err82);
}
errors++;
}
}
if(data.fault !== undefined){
if(!(validate15(data.fault, {instancePath:instancePath+"/fault",parentData:data,parentDataProperty:"fault",rootData}))){
vErrors = vErrors === null ? validate15.errors : vErrors.concat(validate15.errors);
errors = vErrors.length;
}
}
if(data.mirror !== undefined){
if(!(validate17(data.mirror, {instancePath:instancePath+"/mirror",parentData:data,parentDataProperty:"mirror",rootData}))){
vErrors = vErrors === null ? validate17.errors : vErrors.concat(validate17.errors);
errors = vErrors.length;
}
}
if(data.headers !== undefined){
if(!(validate19(data.headers, {instancePath:instancePath+"/headers",parentData:data,parentDataProperty:"headers",rootData}))){
vErrors = vErrors === null ? validate19.errors : vErrors.concat(validate19.errors);
errors = vErrors.length;
}
}
if(data.redirect !== undefined){
if(!(validate24(data.redirect, {instancePath:instancePath+"/redirect",parentData:data,parentDataProperty:"redirect",rootData}))){
vErrors = vErrors === null ? validate24.errors : vErrors.concat(validate24.errors);
errors = vErrors.length;
}
}
if(data.rewrite !== undefined){
if(!(validate26(data.rewrite, {instancePath:instancePath+"/rewrite",parentData:data,parentDataProperty:"rewrite",rootData}))){
vErrors = vErrors === null ? validate26.errors : vErrors.concat(validate26.errors);
errors = vErrors.length;
}
}
if(data.rateLimit !== undefined){
if(!(validate34(data.rateLimit, {instancePath:instancePath+"/rateLimit",parentData:data,parentDataProperty:"rateLimit",rootData}))){
vErrors = vErrors === null ? validate34.errors : vErrors.concat(validate34.errors);
errors = vErrors.length;
}
}
}
else {
const err83 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err83];
}
else {
vErrors.push(err83);
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
if(!((((((((key0 === "trustDomain") || (key0 === "mtls")) || (key0 === "outboundTrafficPolicy")) || (key0 === "upstreamIdleTimeout")) || (key0 === "streamIdleTimeout")) || (key0 === "accessLog")) || (key0 === "tracing")) || (key0 === "services"))){
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
if(data.accessLog !== undefined){
let data5 = data.accessLog;
if(data5 && typeof data5 == "object" && !Array.isArray(data5)){
for(const key1 in data5){
if(!((key1 === "enabled") || (key1 === "format"))){
const err11 = {instancePath:instancePath+"/accessLog",schemaPath:"#/properties/accessLog/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
if(data5.enabled !== undefined){
if(typeof data5.enabled !== "boolean"){
const err12 = {instancePath:instancePath+"/accessLog/enabled",schemaPath:"#/properties/accessLog/properties/enabled/type",keyword:"type",params:{type: "boolean"},message:"must be boolean"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
if(data5.format !== undefined){
let data7 = data5.format;
if(!((data7 === "json") || (data7 === "text"))){
const err13 = {instancePath:instancePath+"/accessLog/format",schemaPath:"#/properties/accessLog/properties/format/enum",keyword:"enum",params:{allowedValues: schema11.properties.accessLog.properties.format.enum},message:"must be equal to one of the allowed values"};
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
const err14 = {instancePath:instancePath+"/accessLog",schemaPath:"#/properties/accessLog/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
if(data.tracing !== undefined){
let data8 = data.tracing;
if(data8 && typeof data8 == "object" && !Array.isArray(data8)){
for(const key2 in data8){
if(!((key2 === "sampling") || (key2 === "otlpEndpoint"))){
const err15 = {instancePath:instancePath+"/tracing",schemaPath:"#/properties/tracing/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key2},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data8.sampling !== undefined){
let data9 = data8.sampling;
if(typeof data9 == "number"){
if(data9 > 1 || isNaN(data9)){
const err16 = {instancePath:instancePath+"/tracing/sampling",schemaPath:"#/properties/tracing/properties/sampling/maximum",keyword:"maximum",params:{comparison: "<=", limit: 1},message:"must be <= 1"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
if(data9 < 0 || isNaN(data9)){
const err17 = {instancePath:instancePath+"/tracing/sampling",schemaPath:"#/properties/tracing/properties/sampling/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
}
else {
const err18 = {instancePath:instancePath+"/tracing/sampling",schemaPath:"#/properties/tracing/properties/sampling/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data8.otlpEndpoint !== undefined){
let data10 = data8.otlpEndpoint;
if(typeof data10 === "string"){
if(!pattern3.test(data10)){
const err19 = {instancePath:instancePath+"/tracing/otlpEndpoint",schemaPath:"#/properties/tracing/properties/otlpEndpoint/pattern",keyword:"pattern",params:{pattern: "^https?://[^/?#]"},message:"must match pattern \""+"^https?://[^/?#]"+"\""};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
else {
const err20 = {instancePath:instancePath+"/tracing/otlpEndpoint",schemaPath:"#/properties/tracing/properties/otlpEndpoint/type",keyword:"type",params:{type: "string"},message:"must be string"};
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
const err21 = {instancePath:instancePath+"/tracing",schemaPath:"#/properties/tracing/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
if(data.services !== undefined){
let data11 = data.services;
if(data11 && typeof data11 == "object" && !Array.isArray(data11)){
for(const key3 in data11){
const _errs28 = errors;
if(typeof key3 === "string"){
if(!pattern4.test(key3)){
const err22 = {instancePath:instancePath+"/services",schemaPath:"#/properties/services/propertyNames/pattern",keyword:"pattern",params:{pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},message:"must match pattern \""+"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"+"\"",propertyName:key3};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
var valid6 = _errs28 === errors;
if(!valid6){
const err23 = {instancePath:instancePath+"/services",schemaPath:"#/properties/services/propertyNames",keyword:"propertyNames",params:{propertyName: key3},message:"property name must be valid"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
for(const key4 in data11){
if(!(validate11(data11[key4], {instancePath:instancePath+"/services/" + key4.replace(/~/g, "~0").replace(/\//g, "~1"),parentData:data11,parentDataProperty:key4,rootData}))){
vErrors = vErrors === null ? validate11.errors : vErrors.concat(validate11.errors);
errors = vErrors.length;
}
}
}
else {
const err24 = {instancePath:instancePath+"/services",schemaPath:"#/properties/services/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
}
else {
const err25 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
validate10.errors = vErrors;
return errors === 0;
}

// The schema itself, to say what a refused value should look like and suggest field names.
export const SCHEMA = {"$schema":"http://json-schema.org/draft-07/schema#","$id":"https://meshlet.dev/schemas/mesh.schema.json","title":"meshlet mesh.yaml","description":"The mesh ConfigMap (key mesh.yaml) read by every meshlet sidecar.","type":"object","minProperties":1,"additionalProperties":false,"properties":{"trustDomain":{"type":"string","minLength":1,"pattern":"^[a-z0-9.\\-_]+$","default":"cluster.local","description":"SPIFFE trust domain."},"mtls":{"$ref":"#/definitions/mtlsMode","default":"permissive"},"outboundTrafficPolicy":{"enum":["allowAny","registryOnly"],"default":"allowAny","description":"What to do with calls to hosts not listed under services."},"upstreamIdleTimeout":{"$ref":"#/definitions/duration","description":"Close pooled upstream connections idle this long (default 4s), before a typical upstream idle timeout."},"streamIdleTimeout":{"$ref":"#/definitions/duration","description":"End a request whose body (either direction) sends nothing for this long (default 5m, as Envoy's stream_idle_timeout); 0s disables."},"accessLog":{"type":"object","additionalProperties":false,"description":"The access log: one line per request on stdout (see docs/observability.md). Present means on unless enabled: false; MESHLET_ACCESS_LOG=1 turns it on whatever this says.","properties":{"enabled":{"type":"boolean","default":true},"format":{"enum":["json","text"],"default":"json","description":"json: one JSON object per line; text: Envoy-like fixed fields."}}},"tracing":{"type":"object","additionalProperties":false,"properties":{"sampling":{"type":"number","minimum":0,"maximum":1,"description":"Parent-based ratio sampling for new traces."},"otlpEndpoint":{"type":"string","pattern":"^https?://[^/?#]","description":"OTLP/HTTP traces endpoint, e.g. http://jaeger-collector:4318/v1/traces."}}},"services":{"type":"object","propertyNames":{"pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},"additionalProperties":{"$ref":"#/definitions/service"}}},"definitions":{"mtlsMode":{"enum":["strict","permissive","disable"]},"duration":{"type":"string","pattern":"^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$","description":"A duration such as 250ms, 5s, 1m30s."},"host":{"type":"string","minLength":1,"maxLength":255,"pattern":"^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?)*\\.?)$","description":"A DNS name or an IP address (IPv6 with or without brackets); never a port, scheme or path: the port goes in port:."},"port":{"type":"integer","minimum":1,"maximum":65535},"percent":{"type":"number","minimum":0,"maximum":100,"description":"A share of requests in percent, fractions allowed (0.5 is one request in 200)."},"headerName":{"type":"string","pattern":"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},"faultPolicy":{"type":"object","additionalProperties":false,"minProperties":1,"description":"Inject delays and aborts on the caller's side (Istio fault injection); flags DI and FI.","properties":{"delay":{"type":"object","additionalProperties":false,"required":["percent","duration"],"properties":{"percent":{"$ref":"#/definitions/percent"},"duration":{"$ref":"#/definitions/duration"}}},"abort":{"type":"object","additionalProperties":false,"required":["percent"],"oneOf":[{"required":["status"]},{"required":["grpcStatus"]}],"properties":{"percent":{"$ref":"#/definitions/percent"},"status":{"type":"integer","minimum":400,"maximum":599},"grpcStatus":{"enum":["cancelled","unknown","invalid-argument","deadline-exceeded","not-found","already-exists","permission-denied","resource-exhausted","failed-precondition","aborted","out-of-range","unimplemented","internal","unavailable","data-loss","unauthenticated"]}}}}},"mirrorPolicy":{"type":"object","additionalProperties":false,"required":["version"],"description":"Copy a share of requests to another version of the service; its responses are discarded.","properties":{"version":{"type":"string","minLength":1},"percent":{"$ref":"#/definitions/percent","default":100}}},"headerRewrite":{"type":"object","additionalProperties":false,"properties":{"set":{"type":"object","propertyNames":{"$ref":"#/definitions/headerName"},"additionalProperties":{"type":"string"}},"add":{"type":"object","propertyNames":{"$ref":"#/definitions/headerName"},"additionalProperties":{"type":"string"}},"remove":{"type":"array","items":{"$ref":"#/definitions/headerName"},"minItems":1}}},"headersPolicy":{"type":"object","additionalProperties":false,"minProperties":1,"properties":{"request":{"$ref":"#/definitions/headerRewrite"},"response":{"$ref":"#/definitions/headerRewrite"}}},"redirectPolicy":{"type":"object","additionalProperties":false,"description":"Answer with a redirect from the caller's sidecar; parts left out are the request's own.","properties":{"scheme":{"enum":["http","https"]},"host":{"$ref":"#/definitions/host"},"port":{"$ref":"#/definitions/port"},"path":{"type":"string","pattern":"^/"},"status":{"enum":[301,302,303,307,308],"default":302}}},"rewritePolicy":{"type":"object","additionalProperties":false,"minProperties":1,"description":"Rewrite before forwarding: the matched path prefix (the route needs match.path.prefix) and the Host.","properties":{"pathPrefix":{"type":"string","pattern":"^/"},"host":{"$ref":"#/definitions/host"}}},"queryMatch":{"type":"object","minProperties":1,"propertyNames":{"minLength":1},"additionalProperties":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"regex":{"type":"string"}}}},"bucket":{"type":"object","additionalProperties":false,"required":["requestsPerSecond"],"properties":{"requestsPerSecond":{"type":"number","exclusiveMinimum":0,"maximum":1000000},"burst":{"type":"integer","minimum":1,"maximum":1000000}}},"rateLimit":{"type":"object","additionalProperties":false,"required":["requestsPerSecond"],"description":"Enforced by the service's own sidecar: 429 RL (gRPC RESOURCE_EXHAUSTED) with retry-after.","properties":{"requestsPerSecond":{"type":"number","exclusiveMinimum":0,"maximum":1000000},"burst":{"type":"integer","minimum":1,"maximum":1000000},"perCaller":{"type":"object","propertyNames":{"minLength":1},"additionalProperties":{"oneOf":[{"type":"number","exclusiveMinimum":0,"maximum":1000000},{"$ref":"#/definitions/bucket"}]}}}},"stringMatch":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"}}},"headerMatch":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"exact":{"type":"string"},"prefix":{"type":"string"},"regex":{"type":"string"},"present":{"type":"boolean"}}},"version":{"type":"object","additionalProperties":false,"description":"Needs host (looked up in DNS) or endpoints (a static list).","properties":{"host":{"$ref":"#/definitions/host"},"port":{"$ref":"#/definitions/port"},"endpoints":{"type":"array","minItems":1,"maxItems":1024,"items":{"type":"string","minLength":1,"maxLength":60},"description":"A static list of IP:port (or IP, with the version's port) used instead of looking up host."}}},"route":{"type":"object","additionalProperties":false,"properties":{"name":{"type":"string"},"match":{"type":"object","additionalProperties":false,"properties":{"headers":{"type":"object","propertyNames":{"pattern":"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},"additionalProperties":{"$ref":"#/definitions/headerMatch"}},"path":{"$ref":"#/definitions/stringMatch"},"query":{"$ref":"#/definitions/queryMatch"},"grpc":{"type":"object","additionalProperties":false,"required":["service"],"description":"A gRPC call: the fully qualified service (pkg.Svc) and optionally its method; cannot be combined with path.","properties":{"service":{"type":"string","pattern":"^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$"},"method":{"type":"string","pattern":"^[A-Za-z_][A-Za-z0-9_]*$"}}},"method":{"oneOf":[{"type":"string","pattern":"^[A-Z]+$"},{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1}]}}},"split":{"type":"object","minProperties":1,"additionalProperties":{"type":"integer","minimum":0,"maximum":1000000}},"sticky":{"type":"object","additionalProperties":false,"minProperties":1,"maxProperties":1,"properties":{"header":{"type":"string","minLength":1},"cookie":{"type":"string","minLength":1}}},"timeout":{"$ref":"#/definitions/duration"},"fault":{"$ref":"#/definitions/faultPolicy"},"mirror":{"$ref":"#/definitions/mirrorPolicy"},"headers":{"$ref":"#/definitions/headersPolicy"},"redirect":{"$ref":"#/definitions/redirectPolicy"},"rewrite":{"$ref":"#/definitions/rewritePolicy"},"guard":{"type":"object","additionalProperties":false,"required":["baseline"],"description":"Canary guard (needs maxErrorRate or maxLatencyP99): a non-baseline version that breaches a limit on this sidecar's traffic loses its share to the baseline until the split changes.","properties":{"baseline":{"type":"string","minLength":1},"maxErrorRate":{"type":"number","minimum":0,"maximum":1},"maxLatencyP99":{"$ref":"#/definitions/duration"},"window":{"$ref":"#/definitions/duration"},"minRequests":{"type":"integer","minimum":1,"maximum":1000000}}}}},"allowRule":{"type":"object","additionalProperties":false,"required":["from"],"properties":{"from":{"type":"array","items":{"type":"string","minLength":1},"minItems":1},"methods":{"type":"array","items":{"type":"string","pattern":"^[A-Z]+$"},"minItems":1},"paths":{"type":"array","items":{"type":"string","pattern":"^/"},"minItems":1}}},"service":{"type":"object","additionalProperties":false,"properties":{"namespace":{"type":"string","pattern":"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},"serviceAccount":{"type":"string","maxLength":253,"pattern":"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$","description":"A Kubernetes service account name; it becomes part of the SPIFFE ID (a URI)."},"port":{"$ref":"#/definitions/port"},"mtls":{"$ref":"#/definitions/mtlsMode"},"protocol":{"enum":["http","http2","grpc"],"description":"How the service's app speaks: HTTP/1.1 (default), HTTP/2, or gRPC (HTTP/2 with gRPC-shaped errors, metrics and spans)."},"versions":{"type":"object","minProperties":1,"propertyNames":{"pattern":"^[A-Za-z0-9][-A-Za-z0-9_.]*$"},"additionalProperties":{"$ref":"#/definitions/version"}},"timeout":{"$ref":"#/definitions/duration"},"streamIdleTimeout":{"$ref":"#/definitions/duration","description":"Overrides the mesh-wide streamIdleTimeout for calls to this service."},"retries":{"type":"object","additionalProperties":false,"required":["attempts"],"properties":{"attempts":{"type":"integer","minimum":0,"maximum":10},"on":{"type":"array","items":{"anyOf":[{"enum":["connect-failure","reset","5xx","gateway-error","cancelled","deadline-exceeded","internal","resource-exhausted","unavailable"]},{"type":"integer","minimum":400,"maximum":599}]}},"perTryTimeout":{"$ref":"#/definitions/duration"}}},"routes":{"type":"array","items":{"$ref":"#/definitions/route"}},"loadBalancer":{"enum":["peak-ewma","round-robin","least-request"],"description":"How an endpoint is chosen per request; default peak-ewma (power of two choices over peak-EWMA latency)."},"outlierDetection":{"description":"Ejects an endpoint after consecutive gateway failures (on by default, true: the defaults); false turns it off.","type":["object","boolean"],"additionalProperties":false,"properties":{"consecutiveGatewayFailures":{"type":"integer","minimum":1,"maximum":1000},"baseEjectionTime":{"$ref":"#/definitions/duration"},"maxEjectionTime":{"$ref":"#/definitions/duration"},"maxEjectionPercent":{"type":"integer","minimum":0,"maximum":100}}},"circuitBreaker":{"type":"object","additionalProperties":false,"description":"Per version: past a limit a request is refused at once with 503 UO.","properties":{"maxConnections":{"type":"integer","minimum":1,"maximum":1000000},"maxPendingRequests":{"type":"integer","minimum":0,"maximum":1000000},"maxRequests":{"type":"integer","minimum":1,"maximum":1000000}}},"retryBudget":{"type":"object","additionalProperties":false,"description":"Retries may add at most ratio x requests of the last 10 s plus minRetriesPerSecond.","properties":{"ratio":{"type":"number","minimum":0,"maximum":100},"minRetriesPerSecond":{"type":"integer","minimum":0,"maximum":1000000}}},"allowMode":{"enum":["enforce","audit"]},"allow":{"type":"array","items":{"$ref":"#/definitions/allowRule"}},"fault":{"$ref":"#/definitions/faultPolicy"},"mirror":{"$ref":"#/definitions/mirrorPolicy"},"headers":{"$ref":"#/definitions/headersPolicy"},"redirect":{"$ref":"#/definitions/redirectPolicy"},"rewrite":{"$ref":"#/definitions/rewritePolicy"},"rateLimit":{"$ref":"#/definitions/rateLimit"}}}}};
