# expect: Job ID contains a space
job "my job" {
  group "g" { task "t" { driver = "exec" } }
}
