# expect: Task group count can't be negative
# line: 5
job "example" {
  group "cache" {
    count = -1
    task "redis" { driver = "exec" }
  }
}
