/*
 * fixed-rate: an open-loop HTTP/1.1 load generator for latency without
 * saturation (what wrk2 does; wrk2 is not packaged in Debian).
 *
 * Requests are scheduled at exact intervals (timerfd, CLOCK_MONOTONIC) over a
 * pool of keep-alive connections. Latency is measured from the *intended*
 * send time, so a stalled proxy is charged for the requests queued behind it
 * (no coordinated omission). When every connection is busy, due requests wait
 * in a backlog and their wait counts as latency.
 *
 * usage: fixed-rate HOST PORT RATE SECONDS CONNECTIONS HOST_HEADER PATH
 * prints one JSON object on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define BUF 65536

typedef struct {
  int fd;
  int busy;
  uint64_t intended; /* ns */
  size_t len;
  char buf[BUF];
} conn_t;

static struct sockaddr_in addr;
static char request[1024];
static size_t request_len;
static uint32_t *lat_us;
static size_t lat_n, lat_cap;
static uint64_t errors, non2xx, sent, lag_sum_ns;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_conn(int ep, conn_t *c, int index) {
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0) return -1;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0) return -1;
  c->busy = 0;
  c->len = 0;
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)index};
  return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static int send_request(conn_t *c, uint64_t intended) {
  c->busy = 1;
  c->intended = intended;
  c->len = 0;
  lag_sum_ns += now_ns() - intended;
  sent++;
  size_t off = 0;
  while (off < request_len) {
    ssize_t n = write(c->fd, request + off, request_len - off);
    if (n <= 0) return -1;
    off += (size_t)n;
  }
  return 0;
}

/* 1 when buf holds a whole response, 0 when more is needed, -1 on garbage. */
static int response_complete(conn_t *c, int *status) {
  c->buf[c->len] = 0;
  char *end = strstr(c->buf, "\r\n\r\n");
  if (end == NULL) return 0;
  if (c->len < 12 || strncmp(c->buf, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(c->buf + 9);
  size_t header_len = (size_t)(end - c->buf) + 4;
  char *cl = strcasestr(c->buf, "\r\ncontent-length:");
  if (cl != NULL && cl < end) {
    size_t body = (size_t)strtoul(cl + 17, NULL, 10);
    return c->len >= header_len + body ? 1 : 0;
  }
  char *te = strcasestr(c->buf, "\r\ntransfer-encoding:");
  if (te != NULL && te < end) {
    return c->len >= header_len + 5 && memcmp(c->buf + c->len - 5, "0\r\n\r\n", 5) == 0 ? 1 : 0;
  }
  return 1; /* no body (e.g. 204) */
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static uint32_t pct(double p) {
  if (lat_n == 0) return 0;
  size_t i = (size_t)(p / 100.0 * (double)lat_n);
  if (i >= lat_n) i = lat_n - 1;
  return lat_us[i];
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s HOST PORT RATE SECONDS CONNECTIONS HOST_HEADER PATH\n", argv[0]);
    return 2;
  }
  double rate = atof(argv[3]), seconds = atof(argv[4]);
  int nconn = atoi(argv[5]);
  if (rate <= 0 || seconds <= 0 || nconn <= 0 || nconn > 1024) return 2;
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) return 2;
  request_len = (size_t)snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: fixed-rate\r\n\r\n",
                                 argv[7], argv[6]);
  uint64_t total = (uint64_t)(rate * seconds);
  lat_cap = total + 1;
  lat_us = calloc(lat_cap, sizeof *lat_us);
  uint64_t *backlog = calloc(total + 1, sizeof *backlog);
  size_t bl_head = 0, bl_tail = 0;
  conn_t *conns = calloc((size_t)nconn, sizeof *conns);
  /* default timer slack (50 us) would delay every scheduled send */
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  int ep = epoll_create1(0);
  for (int i = 0; i < nconn; i++) {
    if (open_conn(ep, &conns[i], i) != 0) {
      perror("connect");
      return 1;
    }
  }
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event tev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);

  uint64_t interval = (uint64_t)(1e9 / rate);
  uint64_t t0 = now_ns() + 10000000ull; /* connections settle for 10 ms */
  const char *slow_env = getenv("FIXED_RATE_SLOW_MS");
  uint64_t slow_us = slow_env != NULL ? (uint64_t)(atof(slow_env) * 1000.0) : 0;
  uint64_t t_end = t0 + total * interval;
  uint64_t deadline = t_end + 5000000000ull; /* in-flight requests get 5 s more */
  uint64_t k = 0;
  struct epoll_event events[256];

  for (;;) {
    uint64_t now = now_ns();
    while (k < total && t0 + k * interval <= now) {
      uint64_t due = t0 + k * interval;
      int idle = -1;
      for (int i = 0; i < nconn; i++)
        if (!conns[i].busy) {
          idle = i;
          break;
        }
      if (idle >= 0 && bl_head == bl_tail) {
        if (send_request(&conns[idle], due) != 0) errors++;
      } else {
        backlog[bl_tail++] = due;
      }
      k++;
    }
    int inflight = bl_head != bl_tail;
    for (int i = 0; i < nconn && !inflight; i++) inflight = conns[i].busy;
    if (k >= total && !inflight) break;
    if (now > deadline) break;
    if (k < total) {
      uint64_t next = t0 + k * interval;
      struct itimerspec its = {.it_value = {.tv_sec = (time_t)(next / 1000000000ull), .tv_nsec = (long)(next % 1000000000ull)}};
      timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
    }
    int n = epoll_wait(ep, events, 256, 100);
    for (int e = 0; e < n; e++) {
      if (events[e].data.u64 == UINT64_MAX) {
        uint64_t expirations;
        if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) return 1;
        continue;
      }
      conn_t *c = &conns[events[e].data.u64];
      ssize_t r = read(c->fd, c->buf + c->len, BUF - 1 - c->len);
      int status = 0, done = r > 0 ? (c->len += (size_t)r, response_complete(c, &status)) : -1;
      if (done == 0) continue;
      if (done == 1) {
        uint64_t us = (now_ns() - c->intended) / 1000;
        if (lat_n < lat_cap) lat_us[lat_n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
        /* FIXED_RATE_SLOW_MS=N: each slower request on stderr, to place stalls in time */
        if (slow_us > 0 && us >= slow_us)
          fprintf(stderr, "slow t=%.3f s latency=%.1f ms conn=%d\n", (double)(c->intended - t0) / 1e9,
                  (double)us / 1000.0, (int)(c - conns));
        if (status < 200 || status > 299) non2xx++;
        c->busy = 0;
      } else {
        /* closed or garbage: count the request as failed and reconnect */
        if (c->busy) errors++;
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        if (open_conn(ep, c, (int)events[e].data.u64) != 0) return 1;
      }
      if (bl_head != bl_tail) {
        if (send_request(c, backlog[bl_head++]) != 0) errors++;
      }
    }
  }
  double elapsed = (double)(now_ns() - t0) / 1e9;
  qsort(lat_us, lat_n, sizeof *lat_us, cmp_u32);
  printf("{\"rate\":%.0f,\"scheduled\":%llu,\"sent\":%llu,\"completed\":%zu,\"errors\":%llu,\"non2xx\":%llu,"
         "\"seconds\":%.3f,\"achievedRate\":%.1f,\"meanSendLagUs\":%.1f,"
         "\"p50\":%u,\"p90\":%u,\"p99\":%u,\"p999\":%u,\"max\":%u}\n",
         rate, (unsigned long long)total, (unsigned long long)sent, lat_n, (unsigned long long)errors,
         (unsigned long long)non2xx, elapsed, (double)lat_n / elapsed,
         sent ? (double)lag_sum_ns / (double)sent / 1000.0 : 0.0, pct(50), pct(90), pct(99), pct(99.9),
         lat_n ? lat_us[lat_n - 1] : 0);
  return 0;
}
