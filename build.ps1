# Builds the Windows binaries of edgeprint (the Makefile does this on Linux).
#   .\build.ps1                 builds bin\edgeprint.exe for windows/amd64
#   .\build.ps1 -Arch arm64     builds for windows/arm64
#   .\build.ps1 -Msi            also builds dist\edgeprint-VERSION-x64.msi from
#                               packaging\wix\edgeprint.wxs with the WiX toolset
#                               (v3 candle/light, or v4+ "wix"); CI builds the
#                               same source with wixl (.ci/package.sh)
#   -SignCert FILE.pfx [-SignPassword P]  Authenticode-signs the exe and the MSI
param(
    [ValidateSet("amd64", "arm64")] [string] $Arch = "amd64",
    [string] $Version = "",
    [switch] $Msi,
    [string] $SignCert = $env:EDGEPRINT_SIGN_PFX,
    [string] $SignPassword = $env:EDGEPRINT_SIGN_PASSWORD
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

if (-not $Msi) { return }

# The MSI: the same WiX source as CI's wixl build.
$Wxs = "packaging\wix\edgeprint.wxs"
if ($Arch -ne "amd64") { throw "the MSI is built for amd64 only" }
function Sign-File([string] $Path) {
    if (-not $SignCert) { return }
    $signtool = Get-Command signtool -ErrorAction SilentlyContinue
    if ($signtool) {
        & signtool sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /f $SignCert /p $SignPassword $Path
    } else {
        & osslsigncode sign -pkcs12 $SignCert -pass $SignPassword -n "edgeprint agent" -h sha256 -in $Path -out "$Path.signed"
        if ($LASTEXITCODE -eq 0) { Move-Item -Force "$Path.signed" $Path }
    }
    if ($LASTEXITCODE -ne 0) { throw "signing $Path failed" }
    Write-Host "signed $Path"
}
$MsiVersion = ($Version -replace '^v', '') -replace '^(\d+\.\d+\.\d+).*', '$1'
if ($MsiVersion -notmatch '^\d+\.\d+\.\d+$') { $MsiVersion = "0.0.0" }
New-Item -ItemType Directory -Force -Path bin\windows, dist, obj | Out-Null
Copy-Item $out bin\windows\edgeprint.exe -Force
Sign-File bin\windows\edgeprint.exe
$MsiOut = "dist\edgeprint-$Version-x64.msi"
if (Get-Command candle -ErrorAction SilentlyContinue) {
    & candle -nologo -arch x64 "-dVersion=$MsiVersion" "-dBinDir=bin\windows" -out obj\edgeprint.wixobj $Wxs
    if ($LASTEXITCODE -ne 0) { throw "candle failed" }
    & light -nologo -out $MsiOut obj\edgeprint.wixobj
    if ($LASTEXITCODE -ne 0) { throw "light failed" }
} elseif (Get-Command wix -ErrorAction SilentlyContinue) {
    Copy-Item $Wxs obj\edgeprint.wxs -Force
    & wix convert obj\edgeprint.wxs
    & wix build -arch x64 -d "Version=$MsiVersion" -d "BinDir=bin\windows" -o $MsiOut obj\edgeprint.wxs
    if ($LASTEXITCODE -ne 0) { throw "wix build failed" }
} else {
    throw "the WiX toolset is not installed (candle/light or wix): get it from wixtoolset.org"
}
Sign-File $MsiOut
Write-Host "built $MsiOut"
