# expect: grpc checks are not supported
job "example" {
  group "cache" {
    network {
      port "grpc" {}
    }
    task "api" {
      driver = "docker"
      config {
        image = "busybox:1"
      }
      service {
        name = "api"
        port = "grpc"
        check {
          type     = "grpc"
          interval = "10s"
          timeout  = "2s"
        }
      }
    }
  }
}
