// os::FdStore: the limit, names, removal, and that every fd it lets go is closed.
#include "os/fd_store.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

namespace sup::os {
namespace {

std::vector<UniqueFd> pipe_ends(int pairs, std::vector<int>* readers) {
  std::vector<UniqueFd> out;
  for (int i = 0; i < pairs; ++i) {
    int p[2];
    EXPECT_EQ(::pipe2(p, O_CLOEXEC), 0);
    out.emplace_back(p[1]);
    readers->push_back(p[0]);
  }
  return out;
}

// A pipe's read end sees end-of-file once every write end is closed.
bool writer_closed(int reader) {
  char c;
  ::fcntl(reader, F_SETFL, O_NONBLOCK);
  return ::read(reader, &c, 1) == 0;
}

TEST(FdStore, KeepsUpToTheLimitAndClosesTheRest) {
  FdStore store(3);
  std::vector<int> readers;
  auto kept = store.add(pipe_ends(2, &readers), "a", true);
  EXPECT_EQ(kept.size(), 2u);
  kept = store.add(pipe_ends(2, &readers), "b", false);
  EXPECT_EQ(kept.size(), 1u);
  ASSERT_EQ(store.entries().size(), 3u);
  EXPECT_EQ(store.entries()[2].name, "b");
  EXPECT_FALSE(store.entries()[2].poll);
  EXPECT_FALSE(writer_closed(readers[2]));
  EXPECT_TRUE(writer_closed(readers[3])) << "the one over the limit is closed";
  for (int r : readers) ::close(r);
}

TEST(FdStore, RemovesByNameAndById) {
  FdStore store(10);
  std::vector<int> readers;
  store.add(pipe_ends(2, &readers), "a", true);
  const auto b = store.add(pipe_ends(1, &readers), "b", true);
  EXPECT_EQ(store.remove("a"), 2u);
  EXPECT_TRUE(writer_closed(readers[0]));
  EXPECT_TRUE(writer_closed(readers[1]));
  ASSERT_NE(store.find(b[0]), nullptr);
  EXPECT_TRUE(store.remove_id(b[0]));
  EXPECT_FALSE(store.remove_id(b[0]));
  EXPECT_EQ(store.find(b[0]), nullptr);
  EXPECT_TRUE(store.entries().empty());
  for (int r : readers) ::close(r);
}

TEST(FdStore, ZeroKeepsNothing) {
  FdStore store(0);
  std::vector<int> readers;
  EXPECT_TRUE(store.add(pipe_ends(1, &readers), "a", true).empty());
  EXPECT_TRUE(writer_closed(readers[0]));
  ::close(readers[0]);
}

}  // namespace
}  // namespace sup::os
