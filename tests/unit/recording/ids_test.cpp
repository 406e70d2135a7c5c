#include "recording/ids.hpp"

#include <gtest/gtest.h>

namespace mr::recording {
namespace {

TEST(SanitizeRoomIdTest, ReferenceExamples) {
  struct Case {
    std::string in;
    std::optional<std::string> out;
  };
  const std::vector<Case> cases = {
      {"  .<!?Room-abc  ", "Room-abc"},
      {"!@#$%^&*()", std::nullopt},
      {"room  name", "roomname"},
      {"a---b", "a-b"},
      {"a___b", "a_b"},
      {"-_room_-", "room"},
      {"a- -b", "a-b"},  // Never a double hyphen (the recording-id separator).
      {"R", "R"},
      {"", std::nullopt},
  };
  for (const auto& c : cases) {
    auto r = SanitizeRoomId(c.in, "roomId");
    EXPECT_EQ(r.value, c.out) << "input: '" << c.in << "'";
  }
}

TEST(SanitizeRoomIdTest, Messages) {
  EXPECT_EQ(SanitizeRoomId("", "roomId").messages,
            (std::vector<std::string>{"roomId is required and cannot be empty",
                                      "roomId cannot be empty after sanitization"}));
  EXPECT_EQ(SanitizeRoomId(std::string(101, 'a'), "roomId").messages,
            (std::vector<std::string>{"roomId cannot exceed 100 characters"}));
  EXPECT_EQ(SanitizeRoomId("!!", "roomId").messages,
            (std::vector<std::string>{"roomId cannot be empty after sanitization"}));
}

TEST(ValidateRecordingIdTest, ReferenceExamples) {
  for (const char* bad : {"incorrect-format", "part1--part2", "--EG_12345--uid", "room--INVALID--uid",
                          "room--EG_--uid", "room--EG_12345--", "invalid--recording.id"}) {
    auto v = ValidateRecordingId(bad);
    EXPECT_FALSE(v.id) << bad;
    EXPECT_EQ(v.message, "recordingId does not follow the expected format") << bad;
  }
  EXPECT_EQ(ValidateRecordingId("valid--EG_111--5678").id, "valid--EG_111--5678");
  EXPECT_EQ(ValidateRecordingId("nonexistent--EG_222--4s444").id, "nonexistent--EG_222--4s444");
  EXPECT_EQ(ValidateRecordingId(" room-x--EG_a--b ").id, "room-x--EG_a--b");
  EXPECT_EQ(ValidateRecordingId("").message, "recordingId is required and cannot be empty");
}

TEST(ValidateRecordingIdTest, PathCharactersAreRefused) {
  // Q22: egress and uid parts end up in storage keys, so they must be plain segments.
  for (const char* bad : {"room--EG_a/../x--uid", "room--EG_a--../../etc", "room--EG_a--u/v",
                          "room--EG_a--u.v", "room--EG_a--u%2Fv", "room--EG_a--u v",
                          "room--EG_a--uid--extra", "room--EG_a\\b--uid"}) {
    EXPECT_FALSE(ValidateRecordingId(bad).id) << bad;
  }
}

TEST(ValidateRecordingIdTest, RoomPartIsSanitised) {
  EXPECT_EQ(ValidateRecordingId("my room--EG_1--abc").id, "myroom--EG_1--abc");
}

TEST(ParseRecordingIdTest, Parts) {
  auto p = ParseRecordingId("R-abc--EG_x--0123456789");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->room_id, "R-abc");
  EXPECT_EQ(p->egress_id, "EG_x");
  EXPECT_EQ(p->uid, "0123456789");
  EXPECT_FALSE(ParseRecordingId("a--b"));
  EXPECT_FALSE(ParseRecordingId("a----c"));
}

}  // namespace
}  // namespace mr::recording
