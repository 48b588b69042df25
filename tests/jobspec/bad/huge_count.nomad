# expect: Task group count can't exceed 1000000; got 1000000000
# line: 5
job "example" {
  group "cache" {
    count = 1000000000
    task "redis" { driver = "exec" }
  }
}
