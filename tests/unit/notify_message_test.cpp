// sd_notify datagrams and the service manager's environment, on strings.
#include "core/notify_message.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

namespace sup::core {
namespace {

using namespace std::string_view_literals;

NotifyMessage parse_ok(std::string_view datagram) {
  auto r = parse_notify(datagram);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : NotifyMessage{};
}

NotifyMessage only_ignored(std::size_t n) {
  NotifyMessage m;
  m.ignored = n;
  return m;
}

NotifyMessage with(bool NotifyMessage::*flag) {
  NotifyMessage m;
  m.*flag = true;
  return m;
}

void expect_error(std::string_view datagram, int code, std::string_view fragment) {
  auto r = parse_notify(datagram);
  ASSERT_FALSE(r.has_value()) << "parsed: " << datagram;
  EXPECT_EQ(r.error().code, code);
  EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
}

// --- each key on its own ---------------------------------------------------------------

TEST(ParseNotify, Ready) {
  NotifyMessage want;
  want.ready = true;
  EXPECT_EQ(parse_ok("READY=1"), want);
}

TEST(ParseNotify, Stopping) {
  NotifyMessage want;
  want.stopping = true;
  EXPECT_EQ(parse_ok("STOPPING=1"), want);
}

TEST(ParseNotify, Reloading) {
  NotifyMessage want;
  want.reloading = true;
  EXPECT_EQ(parse_ok("RELOADING=1"), want);
}

TEST(ParseNotify, WatchdogPing) {
  NotifyMessage want;
  want.watchdog_ping = true;
  EXPECT_EQ(parse_ok("WATCHDOG=1"), want);
}

TEST(ParseNotify, WatchdogTrigger) {
  NotifyMessage want;
  want.watchdog_trigger = true;
  EXPECT_EQ(parse_ok("WATCHDOG=trigger"), want);
}

TEST(ParseNotify, Status) {
  EXPECT_EQ(parse_ok("STATUS=Serving 12 clients").status, "Serving 12 clients");
  EXPECT_EQ(parse_ok("STATUS=a=b=c").status, "a=b=c");  // only the first '=' splits
}

TEST(ParseNotify, EmptyStatusClearsIt) {
  auto m = parse_ok("STATUS=");
  ASSERT_TRUE(m.status.has_value());
  EXPECT_EQ(*m.status, "");
}

TEST(ParseNotify, StatusKeepsInvalidUtf8AndControlBytes) {
  const std::string text = "bad \xff\xfe utf8 \x1b[31m";
  EXPECT_EQ(parse_ok("STATUS=" + text).status, text);
}

TEST(ParseNotify, MainPid) {
  EXPECT_EQ(parse_ok("MAINPID=4711").mainpid, 4711);
  EXPECT_EQ(parse_ok("MAINPID=1").mainpid, 1);
  EXPECT_EQ(parse_ok("MAINPID=2147483647").mainpid, 2147483647);
}

TEST(ParseNotify, ExtendTimeout) {
  EXPECT_EQ(parse_ok("EXTEND_TIMEOUT_USEC=5000000").extend_timeout_usec, 5000000u);
  EXPECT_EQ(parse_ok("EXTEND_TIMEOUT_USEC=0").extend_timeout_usec, 0u);
  EXPECT_EQ(parse_ok("EXTEND_TIMEOUT_USEC=18446744073709551615").extend_timeout_usec,
            18446744073709551615u);
}

TEST(ParseNotify, WatchdogUsec) {
  EXPECT_EQ(parse_ok("WATCHDOG_USEC=30000000").watchdog_usec, 30000000u);
  EXPECT_EQ(parse_ok("WATCHDOG_USEC=0").watchdog_usec, 0u);
}

// --- combinations ----------------------------------------------------------------------

TEST(ParseNotify, EverythingAtOnce) {
  auto m = parse_ok(
      "READY=1\nSTATUS=up\nMAINPID=42\nWATCHDOG=1\nSTOPPING=1\nRELOADING=1\n"
      "EXTEND_TIMEOUT_USEC=7\nWATCHDOG_USEC=8\nERRNO=2\n");
  EXPECT_TRUE(m.ready);
  EXPECT_TRUE(m.stopping);
  EXPECT_TRUE(m.reloading);
  EXPECT_TRUE(m.watchdog_ping);
  EXPECT_FALSE(m.watchdog_trigger);
  EXPECT_EQ(m.status, "up");
  EXPECT_EQ(m.mainpid, 42);
  EXPECT_EQ(m.extend_timeout_usec, 7u);
  EXPECT_EQ(m.watchdog_usec, 8u);
  EXPECT_EQ(m.ignored, 1u);  // ERRNO=2
}

TEST(ParseNotify, PingAndTriggerTogether) {
  auto m = parse_ok("WATCHDOG=1\nWATCHDOG=trigger");
  EXPECT_TRUE(m.watchdog_ping);
  EXPECT_TRUE(m.watchdog_trigger);
  EXPECT_EQ(m.ignored, 0u);
}

TEST(ParseNotify, MainPidWithReadyAsAForkingDaemonSendsIt) {
  auto m = parse_ok("MAINPID=4790\nREADY=1");
  EXPECT_TRUE(m.ready);
  EXPECT_EQ(m.mainpid, 4790);
}

TEST(ParseNotify, FirstOccurrenceWinsAndRepeatsCount) {
  auto m = parse_ok("STATUS=one\nSTATUS=two\nMAINPID=10\nMAINPID=11\nREADY=1\nREADY=1");
  EXPECT_EQ(m.status, "one");
  EXPECT_EQ(m.mainpid, 10);
  EXPECT_TRUE(m.ready);
  EXPECT_EQ(m.ignored, 3u);
}

TEST(ParseNotify, BlankLinesAndTrailingNewlineAreSkipped) {
  auto m = parse_ok("\n\nREADY=1\n\n\nSTATUS=x\n");
  EXPECT_TRUE(m.ready);
  EXPECT_EQ(m.status, "x");
  EXPECT_EQ(m.ignored, 0u);
}

// --- what is ignored, not refused ------------------------------------------------------

TEST(ParseNotify, UnknownKeysAreCounted) {
  auto m = parse_ok("ERRNO=2\nBUSERROR=org.x.Y\nFDSTOREREMOVE=0\nX=");
  EXPECT_EQ(m.ignored, 4u);
  EXPECT_EQ(m, only_ignored(4));
}

TEST(ParseNotify, FdStoreFields) {
  auto m = parse_ok("FDSTORE=1\nFDNAME=state\nFDPOLL=0\nMONOTONIC_USEC=5");
  EXPECT_TRUE(m.fdstore);
  EXPECT_TRUE(m.fdpoll_off);
  EXPECT_FALSE(m.fdstore_remove);
  EXPECT_EQ(m.fdname, "state");
  EXPECT_EQ(m.monotonic_usec, 5u);
  EXPECT_EQ(m.ignored, 0u);
  EXPECT_TRUE(parse_ok("FDSTOREREMOVE=1\nFDNAME=state").fdstore_remove);
  EXPECT_EQ(parse_ok("FDPOLL=1").ignored, 1u);
}

TEST(ParseNotify, BadFdNameRefusesTheDatagram) {
  for (const char* bad : {"FDNAME=", "FDNAME=a:b", "FDNAME=tab\there"}) {
    EXPECT_FALSE(parse_notify(std::string("FDSTORE=1\n") + bad)) << bad;
  }
  EXPECT_FALSE(parse_notify("FDSTORE=1\nFDNAME=" + std::string(256, 'x')));
  EXPECT_TRUE(parse_notify("FDSTORE=1\nFDNAME=" + std::string(255, 'x')));
}

TEST(ParseNotify, OtherValuesOfFlagsAreIgnored) {
  auto m = parse_ok("READY=0\nREADY=yes\nSTOPPING=2\nRELOADING=\nWATCHDOG=0\nWATCHDOG=Trigger");
  EXPECT_EQ(m, only_ignored(6));
}

TEST(ParseNotify, LinesWithoutEqualsAreIgnored) {
  auto m = parse_ok("hello\nREADY=1\nREADY");
  EXPECT_TRUE(m.ready);
  EXPECT_EQ(m.ignored, 2u);
}

TEST(ParseNotify, KeysAreCaseAndSpaceSensitive) {
  auto m = parse_ok("ready=1\n READY=1\nREADY =1\nREADY= 1\nREADY=1\r");
  EXPECT_FALSE(m.ready);
  EXPECT_EQ(m.ignored, 5u);
}

TEST(ParseNotify, NothingButUnknownIsStillAMessage) {
  auto m = parse_ok("garbage");
  EXPECT_EQ(m, only_ignored(1));
}

TEST(ParseNotify, ExactlyTheMaximumSizeIsAccepted) {
  std::string d = "STATUS=";
  d += std::string(kMaxNotifyBytes - d.size(), 'x');
  ASSERT_EQ(d.size(), kMaxNotifyBytes);
  EXPECT_EQ(parse_ok(d).status->size(), kMaxNotifyBytes - 7);
}

// --- errors: the caller drops the whole datagram ---------------------------------------

TEST(ParseNotify, EmptyDatagramIsAnError) { expect_error("", EINVAL, "empty"); }

TEST(ParseNotify, OversizedIsAnError) {
  std::string d = "READY=1\nSTATUS=";
  d += std::string(kMaxNotifyBytes, 'x');
  expect_error(d, EMSGSIZE, "more than 4096");
  expect_error(std::string(kMaxNotifyBytes + 1, '\n'), EMSGSIZE, "4097 bytes");
}

TEST(ParseNotify, NulByteIsAnError) {
  expect_error("READY=1\0MAINPID=1"sv, EINVAL, "NUL");
  expect_error("\0"sv, EINVAL, "NUL");
  expect_error("READY=1\n\0"sv, EINVAL, "NUL");
}

TEST(ParseNotify, MalformedMainPid) {
  for (std::string_view bad : {"MAINPID=", "MAINPID=0", "MAINPID=-1", "MAINPID=+5", "MAINPID=12a",
                               "MAINPID= 12", "MAINPID=12 ", "MAINPID=2147483648",
                               "MAINPID=99999999999999999999", "MAINPID=0x10", "MAINPID=1.0"}) {
    expect_error(bad, EINVAL, "malformed MAINPID=");
  }
}

TEST(ParseNotify, MalformedUsecValues) {
  for (std::string_view bad :
       {"EXTEND_TIMEOUT_USEC=", "EXTEND_TIMEOUT_USEC=-1", "EXTEND_TIMEOUT_USEC=1s",
        "EXTEND_TIMEOUT_USEC=18446744073709551616", "WATCHDOG_USEC=", "WATCHDOG_USEC=abc",
        "WATCHDOG_USEC=+1", "WATCHDOG_USEC=1 "}) {
    expect_error(bad, EINVAL, "malformed");
  }
}

TEST(ParseNotify, AMalformedNumberSpoilsTheWholeMessage) {
  expect_error("READY=1\nMAINPID=abc", EINVAL, "malformed MAINPID=abc");
  // Even in a repeat that would have been ignored.
  expect_error("MAINPID=5\nMAINPID=x", EINVAL, "malformed MAINPID=x");
}

TEST(ParseNotify, ErrorTextIsPrintableAndShort) {
  auto r = parse_notify("MAINPID=\x1b[2J" + std::string(200, '9') + "x");
  ASSERT_FALSE(r);
  for (char c : r.error().message) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
  EXPECT_LT(r.error().message.size(), 100u);
}

// --- formatting upward ------------------------------------------------------------------

TEST(FormatNotify, OneLinePerFieldInFixedOrder) {
  NotifyMessage m;
  m.status = "running pid 4711";
  m.ready = true;
  m.mainpid = 100;
  EXPECT_EQ(format_notify(m), "MAINPID=100\nREADY=1\nSTATUS=running pid 4711");
}

TEST(FormatNotify, SingleFlags) {
  EXPECT_EQ(format_notify(with(&NotifyMessage::stopping)), "STOPPING=1");
  EXPECT_EQ(format_notify(with(&NotifyMessage::reloading)), "RELOADING=1");
  EXPECT_EQ(format_notify(with(&NotifyMessage::watchdog_ping)), "WATCHDOG=1");
  EXPECT_EQ(format_notify(with(&NotifyMessage::watchdog_trigger)), "WATCHDOG=trigger");
  EXPECT_EQ(format_notify(with(&NotifyMessage::ready)), "READY=1");
  EXPECT_EQ(format_notify(NotifyMessage{}), "");
}

TEST(FormatNotify, RoundTrips) {
  NotifyMessage m;
  m.ready = m.stopping = m.reloading = m.watchdog_ping = m.watchdog_trigger = true;
  m.status = "s";
  m.mainpid = 7;
  m.extend_timeout_usec = 9;
  m.watchdog_usec = 10;
  EXPECT_EQ(parse_ok(format_notify(m)), m);
}

TEST(FormatNotify, StatusFromTheAppCannotInjectAssignments) {
  NotifyMessage m;
  m.status = "ok\nMAINPID=1\r\nREADY=1";
  const std::string text = format_notify(m);
  EXPECT_EQ(text, "STATUS=ok MAINPID=1  READY=1");
  auto back = parse_ok(text);
  EXPECT_FALSE(back.mainpid);
  EXPECT_FALSE(back.ready);
}

TEST(SanitizeStatus, ReplacesLineBreaksAndNul) {
  EXPECT_EQ(sanitize_status("a\nb\rc\0d"sv), "a b c d");
  EXPECT_EQ(sanitize_status(""), "");
}

TEST(SanitizeStatus, CutsLongTextOnACharacterBoundary) {
  EXPECT_EQ(sanitize_status(std::string(5000, 'a')).size(), 1024u);
  // 1023 ASCII bytes then a 2-byte 'é' straddling the limit: the 'é' goes whole.
  std::string text = std::string(1023, 'a') + "\xc3\xa9" + "tail";
  EXPECT_EQ(sanitize_status(text), std::string(1023, 'a'));
  // A 3-byte character ending exactly at the limit is kept.
  text = std::string(1021, 'a') + "\xe2\x82\xac" + "tail";
  EXPECT_EQ(sanitize_status(text), std::string(1021, 'a') + "\xe2\x82\xac");
}

// --- WATCHDOG_USEC / WATCHDOG_PID --------------------------------------------------------

TEST(WatchdogEnv, ForUs) { EXPECT_EQ(parse_watchdog_env("30000000", "4711", 4711), 30000000u); }

TEST(WatchdogEnv, NoPidMeansForWhoeverReadsIt) {
  EXPECT_EQ(parse_watchdog_env("1000", std::nullopt, 4711), 1000u);
}

TEST(WatchdogEnv, ForAnotherProcess) {
  EXPECT_EQ(parse_watchdog_env("1000", "4712", 4711), std::nullopt);
}

TEST(WatchdogEnv, UnsetOrInvalid) {
  EXPECT_EQ(parse_watchdog_env(std::nullopt, "4711", 4711), std::nullopt);
  EXPECT_EQ(parse_watchdog_env(std::nullopt, std::nullopt, 4711), std::nullopt);
  EXPECT_EQ(parse_watchdog_env("0", "4711", 4711), std::nullopt);
  EXPECT_EQ(parse_watchdog_env("", "4711", 4711), std::nullopt);
  EXPECT_EQ(parse_watchdog_env("-5", "4711", 4711), std::nullopt);
  EXPECT_EQ(parse_watchdog_env("10s", "4711", 4711), std::nullopt);
  EXPECT_EQ(parse_watchdog_env("1000", "", 4711), std::nullopt);
  EXPECT_EQ(parse_watchdog_env("1000", "abc", 4711), std::nullopt);
  EXPECT_EQ(parse_watchdog_env("1000", "0", 0), std::nullopt);
}

// --- LISTEN_PID / LISTEN_FDS / LISTEN_FDNAMES ---------------------------------------------

TEST(ListenFdsEnv, ForUsWithNames) {
  auto env = parse_listen_fds_env("4711", "2", "http:https", 4711);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->count, 2);
  EXPECT_EQ(env->names, (std::vector<std::string>{"http", "https"}));
}

TEST(ListenFdsEnv, NamesUnsetAreUnknown) {
  auto env = parse_listen_fds_env("4711", "3", std::nullopt, 4711);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->names, (std::vector<std::string>{"unknown", "unknown", "unknown"}));
}

TEST(ListenFdsEnv, NameCountMismatchKeepsTheFds) {
  auto env = parse_listen_fds_env("4711", "2", "only-one", 4711);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->count, 2);
  EXPECT_EQ(env->names, (std::vector<std::string>{"unknown", "unknown"}));
  env = parse_listen_fds_env("4711", "1", "a:b", 4711);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->names, (std::vector<std::string>{"unknown"}));
  env = parse_listen_fds_env("4711", "2", "a:", 4711);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->names, (std::vector<std::string>{"unknown", "unknown"}));
  env = parse_listen_fds_env("4711", "1", "", 4711);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->names, (std::vector<std::string>{"unknown"}));
}

TEST(ListenFdsEnv, ForAnotherProcess) {
  EXPECT_EQ(parse_listen_fds_env("4712", "1", "x", 4711), std::nullopt);
}

TEST(ListenFdsEnv, MissingOrMalformed) {
  EXPECT_EQ(parse_listen_fds_env(std::nullopt, "1", "x", 4711), std::nullopt);
  EXPECT_EQ(parse_listen_fds_env("4711", std::nullopt, "x", 4711), std::nullopt);
  EXPECT_EQ(parse_listen_fds_env("", "1", "x", 4711), std::nullopt);
  EXPECT_EQ(parse_listen_fds_env("4711x", "1", "x", 4711), std::nullopt);
  EXPECT_EQ(parse_listen_fds_env("4711", "", "x", 4711), std::nullopt);
  EXPECT_EQ(parse_listen_fds_env("4711", "-1", "x", 4711), std::nullopt);
  EXPECT_EQ(parse_listen_fds_env("4711", "two", "x", 4711), std::nullopt);
}

TEST(ListenFdsEnv, ZeroOrTooManyFds) {
  EXPECT_EQ(parse_listen_fds_env("4711", "0", "", 4711), std::nullopt);
  const std::string most = std::to_string(kMaxListenFds);
  const std::string too_many = std::to_string(kMaxListenFds + 1);
  EXPECT_EQ(parse_listen_fds_env("4711", too_many, std::nullopt, 4711), std::nullopt);
  auto env = parse_listen_fds_env("4711", most, std::nullopt, 4711);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->count, kMaxListenFds);
  EXPECT_EQ(env->names.size(), static_cast<std::size_t>(kMaxListenFds));
  // More than systemd's soft limit of 1024 (SPEC 7: any number the limits allow).
  env = parse_listen_fds_env("4711", "1500", std::nullopt, 4711);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->count, 1500);
}

// --- what must not be passed on to the app ---------------------------------------------

TEST(ServiceManagerVars, Recognised) {
  for (std::string_view e :
       {"NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=1", "WATCHDOG_PID=1", "LISTEN_PID=1",
        "LISTEN_FDS=1", "LISTEN_FDNAMES=a", "NOTIFY_SOCKET="}) {
    EXPECT_TRUE(is_service_manager_var(e)) << e;
  }
}

TEST(ServiceManagerVars, OthersPass) {
  for (std::string_view e : {"PATH=/bin", "NOTIFY_SOCKETS=x", "LISTEN_FDS", "XLISTEN_FDS=1",
                             "WATCHDOG=1", "LISTEN_FDNAMESX=1", ""}) {
    EXPECT_FALSE(is_service_manager_var(e)) << e;
  }
}

// ---------------------------------------------------------------------------------------------
// Ancillary data, laid out with cmsg(3)'s macros as the kernel lays it out.

struct Control {
  alignas(cmsghdr) unsigned char bytes[256] = {};
  std::size_t length = 0;

  void add(int type, const void* data, std::size_t size) {
    auto* header = reinterpret_cast<cmsghdr*>(bytes + length);
    header->cmsg_len = CMSG_LEN(size);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = type;
    std::memcpy(CMSG_DATA(header), data, size);
    length += CMSG_SPACE(size);
  }
};

TEST(NotifyControl, CredentialsAndFdsAsTheKernelSendsThem) {
  Control c;
  const ucred cred{4242, 0, 0};
  c.add(SCM_CREDENTIALS, &cred, sizeof cred);
  const int fds[] = {7, 9, 11};
  c.add(SCM_RIGHTS, fds, sizeof fds);
  const NotifyControl out = parse_notify_control(c.bytes, c.length);
  EXPECT_EQ(out.pid, 4242);
  EXPECT_EQ(out.fds, (std::vector<int>{7, 9, 11}));
}

TEST(NotifyControl, NothingIsNothing) {
  const NotifyControl out = parse_notify_control(nullptr, 0);
  EXPECT_FALSE(out.pid);
  EXPECT_TRUE(out.fds.empty());
}

TEST(NotifyControl, LengthsThatLieEndTheWalkInsideTheBuffer) {
  Control c;
  const int fds[] = {5, 6};
  c.add(SCM_RIGHTS, fds, sizeof fds);
  // A second header that claims more than is left, and one that claims less than a header:
  // the walk keeps what came before and reads nothing beyond.
  for (std::size_t bad : {std::size_t{4096}, std::size_t{3}}) {
    Control lying = c;
    auto* header = reinterpret_cast<cmsghdr*>(lying.bytes + lying.length);
    header->cmsg_len = bad;
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    lying.length += sizeof(cmsghdr);
    EXPECT_EQ(parse_notify_control(lying.bytes, lying.length).fds, (std::vector<int>{5, 6}))
        << "cmsg_len " << bad;
  }
  // A buffer cut in the middle of a header.
  EXPECT_TRUE(parse_notify_control(c.bytes, sizeof(cmsghdr) - 1).fds.empty());
}

TEST(NotifyControl, CredentialsTooShortAndOtherLevelsAreIgnored) {
  Control c;
  const int pid = 77;
  c.add(SCM_CREDENTIALS, &pid, sizeof pid);  // shorter than a ucred
  EXPECT_FALSE(parse_notify_control(c.bytes, c.length).pid);
  Control other;
  const int fd = 3;
  other.add(SCM_RIGHTS, &fd, sizeof fd);
  reinterpret_cast<cmsghdr*>(other.bytes)->cmsg_level = SOL_SOCKET + 1;
  EXPECT_TRUE(parse_notify_control(other.bytes, other.length).fds.empty());
}

}  // namespace
}  // namespace sup::core
