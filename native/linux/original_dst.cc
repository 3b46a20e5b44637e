// originalDst(fd): the destination a connection had before an iptables
// REDIRECT rewrote it, read with getsockopt(SO_ORIGINAL_DST) from conntrack.
// Node exposes no getsockopt, and the option returns a sockaddr, so this tiny
// addon does it. Plain Node-API (no node-addon-api), so one build loads in
// every Node version with Node-API 8.
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

// From <linux/netfilter_ipv6/ip6_tables.h>, which drags in kernel-only types.
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

namespace {

napi_value Throw(napi_env env, const char* message) {
  napi_throw_type_error(env, nullptr, message);
  return nullptr;
}

napi_value Null(napi_env env) {
  napi_value result;
  napi_get_null(env, &result);
  return result;
}

napi_value MakeResult(napi_env env, const char* address, uint16_t port, int family) {
  napi_value result, value;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, address, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "address", value);
  napi_create_uint32(env, port, &value);
  napi_set_named_property(env, result, "port", value);
  napi_create_uint32(env, static_cast<uint32_t>(family), &value);
  napi_set_named_property(env, result, "family", value);
  return result;
}

// Returns { address, port, family } or null when the kernel knows no
// original destination (no conntrack entry, not a TCP socket, closed fd).
napi_value OriginalDst(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1) {
    return Throw(env, "originalDst(fd): fd is required");
  }
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    return Throw(env, "originalDst(fd): fd must be a non-negative integer");
  }

  // The socket's own family decides which table to ask. An IPv4 client on a
  // dual-stack (::) listener has a v4-mapped local address and an IPv4
  // conntrack entry, so it is asked at SOL_IP.
  struct sockaddr_storage local;
  socklen_t local_len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<struct sockaddr*>(&local), &local_len) != 0) {
    return Null(env);
  }
  bool ipv4 = local.ss_family == AF_INET;
  if (local.ss_family == AF_INET6) {
    const struct sockaddr_in6* l6 = reinterpret_cast<const struct sockaddr_in6*>(&local);
    ipv4 = IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr);
  } else if (!ipv4) {
    return Null(env);
  }

  char text[INET6_ADDRSTRLEN];
  if (ipv4) {
    struct sockaddr_in dst;
    socklen_t len = sizeof(dst);
    memset(&dst, 0, sizeof(dst));
    if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &len) != 0) return Null(env);
    if (inet_ntop(AF_INET, &dst.sin_addr, text, sizeof(text)) == nullptr) return Null(env);
    return MakeResult(env, text, ntohs(dst.sin_port), 4);
  }
  struct sockaddr_in6 dst;
  socklen_t len = sizeof(dst);
  memset(&dst, 0, sizeof(dst));
  if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst, &len) != 0) return Null(env);
  if (inet_ntop(AF_INET6, &dst.sin6_addr, text, sizeof(text)) == nullptr) return Null(env);
  return MakeResult(env, text, ntohs(dst.sin6_port), 6);
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, OriginalDst, nullptr, &fn);
  napi_set_named_property(env, exports, "originalDst", fn);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
