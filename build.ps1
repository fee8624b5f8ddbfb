# Builds the Windows binaries of edgeprint (the Makefile does this on Linux).
#   .\build.ps1                 builds bin\edgeprint.exe for windows/amd64
#   .\build.ps1 -Arch arm64     builds for windows/arm64
param(
    [ValidateSet("amd64", "arm64")] [string] $Arch = "amd64",
    [string] $Version = ""
)
$ErrorActionPreference = "Stop"
Set-Location $PSScriptRoot

if (-not (Get-Command go -ErrorAction SilentlyContinue)) {
    throw "Go is not installed: get it from the Go website, then run this script again."
}
if ($Version -eq "") {
    $Version = (git describe --tags --always --dirty 2>$null)
    if (-not $Version) { $Version = "dev" }
}

$env:GOOS = "windows"
$env:GOARCH = $Arch
$env:CGO_ENABLED = "0"
New-Item -ItemType Directory -Force -Path bin | Out-Null
$out = "bin\edgeprint-windows-$Arch.exe"
go build -trimpath -ldflags "-s -w -X main.version=$Version" -o $out ./cmd/edgeprint
if ($LASTEXITCODE -ne 0) { throw "go build failed" }
Write-Host "built $out ($Version)"
