# expect: only one 'job' stanza
# line: 6
job "a" {
  group "g" { task "t" { driver = "exec" } }
}
job "b" {
  group "g" { task "t" { driver = "exec" } }
}
