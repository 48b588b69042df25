# expect: group "cache": Missing tasks for task group
# line: 4
job "example" {
  group "cache" {
    count = 1
  }
}
