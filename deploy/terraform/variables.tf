variable "region" {
  type        = string
  description = "AWS region to deploy into, e.g. eu-west-1. No default: the region is always a deliberate choice."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1 or us-gov-west-1."
  }
}

variable "name" {
  type        = string
  description = "Name prefix of every resource (also the ashapp:name tag)."
  default     = "ashapp"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "platform" {
  type        = string
  description = "Where ASHapp runs: \"ec2\" (one host with k3s, bootstrapped by cloud-init) or \"eks\" (a managed EKS cluster for teams that outgrow one host; apply the production overlay yourself)."
  default     = "ec2"

  validation {
    condition     = contains(["ec2", "eks"], var.platform)
    error_message = "platform must be \"ec2\" or \"eks\"."
  }
}

variable "vpc_id" {
  type        = string
  description = "Existing VPC to use. Null: create a VPC with public and private subnets. With an existing VPC, give public_subnet_ids (and private_subnet_ids for EKS)."
  default     = null

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be null or a VPC id (vpc-...)."
  }
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets of the existing VPC (vpc_id set); the EC2 host goes into the first."
  default     = []

  validation {
    condition     = alltrue([for s in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "public_subnet_ids must be subnet ids (subnet-...)."
  }
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets of the existing VPC (vpc_id set), used by EKS nodes."
  default     = []

  validation {
    condition     = alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "private_subnet_ids must be subnet ids (subnet-...)."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC created when vpc_id is null; split into /20 subnets, public from the first, private from the ninth."
  default     = "10.40.0.0/16"

  validation {
    # /16 or larger leaves room for 4 public and 4 private /20s at the offsets network.tf uses.
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 16
    error_message = "vpc_cidr must be an IPv4 CIDR of /16 or larger."
  }
}

variable "availability_zone_count" {
  type        = number
  description = "Availability zones to spread subnets over (EKS needs at least 2)."
  default     = 2

  validation {
    condition     = var.availability_zone_count >= 1 && var.availability_zone_count <= 4
    error_message = "availability_zone_count must be between 1 and 4."
  }
}

variable "enable_nat_gateway" {
  type        = bool
  description = "Create a NAT gateway so private subnets reach the internet (needed by EKS nodes in private subnets; costs money, off for the single host)."
  default     = false
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type of the host. 2 vCPU / 8 GiB runs the platform, MariaDB, Redis and the monitoring stack."
  default     = "t3.large"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.large."
  }
}

variable "architecture" {
  type        = string
  description = "CPU architecture of the AMI; must match instance_type (x86_64 for t3, arm64 for t4g)."
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "root_volume_size_gb" {
  type        = number
  description = "Size of the encrypted root volume (images, databases, metrics)."
  default     = 60

  validation {
    condition     = var.root_volume_size_gb >= 30 && var.root_volume_size_gb <= 1000
    error_message = "root_volume_size_gb must be between 30 and 1000."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for EBS encryption. Null: the account's default EBS key (aws/ebs). Volumes are encrypted either way."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN."
  }
}

variable "ssh_ingress_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach SSH (22). Empty (default): no SSH at all; use SSM Session Manager."
  default     = []

  validation {
    condition     = alltrue([for c in var.ssh_ingress_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0" && c != "::/0"])
    error_message = "ssh_ingress_cidrs must be CIDRs, and never the whole internet."
  }
}

variable "ssh_key_name" {
  type        = string
  description = "Existing EC2 key pair for SSH; only useful with ssh_ingress_cidrs. Null (default): no key pair."
  default     = null
}

variable "domain_name" {
  type        = string
  description = "Host name users open (point its DNS at the output public_ip). Null: the instance's public DNS name, plain HTTP until you set one."
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([-a-z0-9]*[a-z0-9])?\\.)+[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name."
  }
}

variable "acme_email" {
  type        = string
  description = "E-mail for Let's Encrypt (cert-manager). Null: no certificate issuer; the Ingress serves the controller's default certificate."
  default     = null

  validation {
    condition     = var.acme_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.acme_email))
    error_message = "acme_email must be an e-mail address."
  }
}

variable "ashapp_repository_url" {
  type        = string
  description = "Git repository (https) the bootstrap takes deploy/kubernetes from."

  validation {
    condition     = can(regex("^https://", var.ashapp_repository_url))
    error_message = "ashapp_repository_url must be an https URL."
  }
}

variable "ashapp_ref" {
  type        = string
  description = "Tag or commit of that repository to deploy (pin it; a branch would change what a re-run applies)."

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,100}$", var.ashapp_ref))
    error_message = "ashapp_ref must be a git tag or commit."
  }
}

variable "image_registry" {
  type        = string
  description = "Registry and owner of the images, e.g. ghcr.io/my-org (images are <registry>/ashapp-<service>)."

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$", var.image_registry))
    error_message = "image_registry must look like ghcr.io/my-org."
  }
}

variable "image_tag" {
  type        = string
  description = "Image tag to run (a release tag; never latest)."

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid tag other than latest."
  }
}

variable "sign_in_allowed_accounts" {
  type        = list(string)
  description = "AWS account ids whose identities may sign in to ASHapp (the gateway's allow-list)."

  validation {
    condition     = length(var.sign_in_allowed_accounts) > 0 && alltrue([for a in var.sign_in_allowed_accounts : can(regex("^[0-9]{12}$", a))])
    error_message = "sign_in_allowed_accounts must list at least one 12-digit account id."
  }
}

variable "enable_in_cluster_databases" {
  type        = bool
  description = "Run MariaDB and Redis in the cluster (components/in-cluster-databases). False: managed databases; write their URLs into /var/lib/ashapp/secrets/*.env on the host (SSM session) and re-run the bootstrap (see the README)."
  default     = true
}

variable "ecr_repository_prefix" {
  type        = string
  description = "ECR repositories the host may push to and pull from (<prefix>/*), e.g. for apps the deployer builds."
  default     = "ashapp"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._/-]{0,200}$", var.ecr_repository_prefix))
    error_message = "ecr_repository_prefix must be a valid ECR repository name prefix."
  }
}

variable "k3s_version" {
  type        = string
  description = "k3s release the bootstrap installs (pinned, so a re-run installs the same)."
  default     = "v1.32.3+k3s1"

  validation {
    condition     = can(regex("^v1\\.[0-9]+\\.[0-9]+\\+k3s[0-9]+$", var.k3s_version))
    error_message = "k3s_version must look like v1.32.3+k3s1."
  }
}

variable "eks_kubernetes_version" {
  type        = string
  description = "Kubernetes version of the EKS cluster (platform = \"eks\")."
  default     = "1.33"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.eks_kubernetes_version))
    error_message = "eks_kubernetes_version must look like 1.33."
  }
}

variable "eks_node_instance_types" {
  type        = list(string)
  description = "Instance types of the EKS managed node group."
  default     = ["t3.large"]

  validation {
    condition     = length(var.eks_node_instance_types) > 0
    error_message = "eks_node_instance_types must not be empty."
  }
}

variable "eks_node_count" {
  type        = object({ min = number, desired = number, max = number })
  description = "Size of the EKS node group; two or more nodes so every service's two replicas spread."
  default     = { min = 2, desired = 2, max = 4 }

  validation {
    condition     = var.eks_node_count.min >= 1 && var.eks_node_count.min <= var.eks_node_count.desired && var.eks_node_count.desired <= var.eks_node_count.max
    error_message = "eks_node_count must satisfy 1 <= min <= desired <= max."
  }
}

variable "eks_public_access_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the EKS API endpoint publicly. Empty (default): private endpoint only."
  default     = []

  validation {
    condition     = alltrue([for c in var.eks_public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "eks_public_access_cidrs must be CIDRs."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags on every resource."
  default     = {}
}
