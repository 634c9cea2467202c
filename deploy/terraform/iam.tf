data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "host" {
  count = var.platform == "ec2" ? 1 : 0

  name               = "${var.name}-host"
  description        = "ASHapp host: SSM Session Manager and ECR for the deployer's images, nothing else"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

# Session Manager's documented minimum (AWS-managed), instead of SSH.
resource "aws_iam_role_policy_attachment" "host_ssm" {
  count = var.platform == "ec2" ? 1 : 0

  role       = aws_iam_role.host[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "host_ecr" {
  # GetAuthorizationToken has no resource-level permissions: AWS accepts only "*" for it. It grants a
  # registry login token, not access to any repository; the statement below decides that.
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "EcrPushPullOwnRepositories"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload",
      "ecr:PutImage",
      "ecr:DescribeImages",
      "ecr:DescribeRepositories",
    ]
    resources = ["arn:${local.partition}:ecr:${var.region}:${local.account_id}:repository/${var.ecr_repository_prefix}/*"]
  }
}

resource "aws_iam_role_policy" "host_ecr" {
  count = var.platform == "ec2" ? 1 : 0

  name   = "ecr-push-pull"
  role   = aws_iam_role.host[0].id
  policy = data.aws_iam_policy_document.host_ecr.json
}

resource "aws_iam_instance_profile" "host" {
  count = var.platform == "ec2" ? 1 : 0

  name = "${var.name}-host"
  role = aws_iam_role.host[0].name
}
