job "node-agent" {
  region      = "eu"
  datacenters = ["dc1", "dc2"]
  type        = "system"

  group "agent" {
    task "agent" {
      driver = "exec"
      user   = "nobody"

      config {
        command = "/bin/agent"
        args    = ["-node", "${node.unique.name}"]
      }

      resources {
        cpu    = 50
        memory = 64
        memory_max = 128
      }
    }
  }
}
