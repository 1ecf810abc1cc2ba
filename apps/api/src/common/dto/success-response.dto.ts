export class SuccessResponseDto {
  success!: boolean;
}
